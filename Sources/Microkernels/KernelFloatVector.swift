/// The float lane vectors the micro-kernels run on — `SIMD8<Float>` (baseline SSE, NEON) and
/// `SIMD16<Float>` (AVX2, AVX-512) — with the operations the kernels need, written in forms
/// the optimizer vectorises once specialised. (The standard library's `clamped`,
/// `replacing(with:where:)` and friends went lane by lane through memory inside the kernels.)
@usableFromInline package protocol KernelFloatVector: SIMD where Scalar == Float, MaskStorage.Scalar == Int32 {
    /// `v` limited to `lo...hi` lane by lane; NaN lanes stay NaN, as in TFLite's
    /// `std::min(std::max(x, lo), hi)`.
    static func clamp(_ v: Self, _ lo: Self, _ hi: Self) -> Self
    /// Adds an integer-valued float vector of magnitude < 2^22 to Int32 lanes, exactly:
    /// adding 1.5 · 2^23 puts the integer in the low mantissa bits.
    static func accumulateExactly(_ acc: inout MaskStorage, _ value: Self)
}

extension KernelFloatVector {
    @inlinable @inline(__always)
    package static func clamp(_ v: Self, _ lo: Self, _ hi: Self) -> Self {
        // Lane by lane with a constant trip count: the optimizer turns this into compare and
        // blend (or min/max) instructions; bitwise-select forms were partly scalarised.
        var r = Self()
        for lane in 0..<Self.scalarCount { r[lane] = Swift.min(Swift.max(v[lane], lo[lane]), hi[lane]) }
        return r
    }

    @inlinable @inline(__always)
    package static func accumulateExactly(_ acc: inout MaskStorage, _ value: Self) {
        acc = acc &+ (unsafeBitCast(value + Self(repeating: 12_582_912), to: MaskStorage.self) &- MaskStorage(repeating: 0x4B40_0000))
    }
}

extension SIMD8: KernelFloatVector where Scalar == Float {}
extension SIMD16: KernelFloatVector where Scalar == Float {}

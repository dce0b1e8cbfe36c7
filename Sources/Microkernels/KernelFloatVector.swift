/// The float lane vectors the micro-kernels run on — `SIMD8<Float>` (baseline SSE, NEON) and
/// `SIMD16<Float>` (AVX2, AVX-512) — with the operations the kernels need written on the
/// concrete types, in forms the optimizer vectorises. (The standard library's generic
/// `clamped`, `replacing(with:where:)` and friends go lane by lane through memory once inlined
/// into generic code.)
@usableFromInline package protocol KernelFloatVector: SIMD where Scalar == Float, MaskStorage.Scalar == Int32 {
    /// `v` limited to `lo...hi` lane by lane; NaN lanes stay NaN, as in TFLite's
    /// `std::min(std::max(x, lo), hi)`.
    static func clamp(_ v: Self, _ lo: Self, _ hi: Self) -> Self
    /// Adds an integer-valued float vector of magnitude < 2^22 to Int32 lanes, exactly:
    /// adding 1.5 · 2^23 puts the integer in the low mantissa bits.
    static func accumulateExactly(_ acc: inout MaskStorage, _ value: Self)
}

extension SIMD8: KernelFloatVector where Scalar == Float {
    @inlinable @inline(__always)
    package static func clamp(_ v: Self, _ lo: Self, _ hi: Self) -> Self {
        // Lane by lane with a constant trip count: the optimizer turns this into compare and
        // blend (or min/max) instructions; bitwise-select forms were partly scalarised.
        var r = Self()
        for lane in 0..<Self.scalarCount { r[lane] = Swift.min(Swift.max(v[lane], lo[lane]), hi[lane]) }
        return r
    }

    @inlinable @inline(__always)
    package static func accumulateExactly(_ acc: inout SIMD8<Int32>, _ value: Self) {
        acc = acc &+ (unsafeBitCast(value + Self(repeating: 12_582_912), to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: 0x4B40_0000))
    }
}

extension SIMD16: KernelFloatVector where Scalar == Float {
    @inlinable @inline(__always)
    package static func clamp(_ v: Self, _ lo: Self, _ hi: Self) -> Self {
        // Lane by lane with a constant trip count: the optimizer turns this into compare and
        // blend (or min/max) instructions; bitwise-select forms were partly scalarised.
        var r = Self()
        for lane in 0..<Self.scalarCount { r[lane] = Swift.min(Swift.max(v[lane], lo[lane]), hi[lane]) }
        return r
    }

    @inlinable @inline(__always)
    package static func accumulateExactly(_ acc: inout SIMD16<Int32>, _ value: Self) {
        acc = acc &+ (unsafeBitCast(value + Self(repeating: 12_582_912), to: SIMD16<Int32>.self) &- SIMD16<Int32>(repeating: 0x4B40_0000))
    }
}

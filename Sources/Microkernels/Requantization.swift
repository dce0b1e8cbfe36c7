/// TFLite's `MultiplyByQuantizedMultiplier` for 8 lanes at once, exactly as the reference
/// computes it per value: `RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x · 2^left, m), right)`.
///
/// The doubling high multiply rounds half away from zero by adding a sign-dependent nudge and
/// truncating toward zero; for a non-negative multiplier both cases equal
/// `⌊(x·m + 2^30) / 2^31⌋`, which needs no branch and no 64-bit arithmetic shift.
/// (Its one saturating case, x = m = Int32.min, cannot occur: multipliers are positive.)
@inlinable @inline(__always)
package func multiplyByQuantizedMultiplier(_ x: SIMD8<Int32>, multiplier: SIMD8<Int32>, leftShift: SIMD8<Int32>,
                                           rightShift: SIMD8<Int32>, mask: SIMD8<Int32>) -> SIMD8<Int32> {
    let shifted = x &<< leftShift
    // Lane by lane widening: the generic SIMD conversion is an out-of-line call in some builds.
    let wide = SIMD8<Int64>(Int64(shifted[0]), Int64(shifted[1]), Int64(shifted[2]), Int64(shifted[3]),
                            Int64(shifted[4]), Int64(shifted[5]), Int64(shifted[6]), Int64(shifted[7]))
    let m = SIMD8<Int64>(Int64(multiplier[0]), Int64(multiplier[1]), Int64(multiplier[2]), Int64(multiplier[3]),
                         Int64(multiplier[4]), Int64(multiplier[5]), Int64(multiplier[6]), Int64(multiplier[7]))
    let product = wide &* m
    let high = SIMD8<Int32>(truncatingIfNeeded: (product &+ SIMD8(repeating: 1 << 30)) &>> 31)
    // Rounding divide by 2^right, ties away from zero.
    let remainder = high & mask
    let threshold = (mask &>> 1) &- (high &>> 31)
    // A true lane of the comparison is −1: subtracting it adds the rounding increment.
    return (high &>> rightShift) &- unsafeBitCast(remainder .> threshold, to: SIMD8<Int32>.self)
}

/// Per-channel requantization parameters as lane vectors, zero-padded to whole panels (or to
/// a multiple of 8 channels): `multiplier`, `leftShift`, `rightShift` and the remainder
/// `mask` = 2^right − 1.
@usableFromInline package struct RequantizationVectors {
    @usableFromInline package var multiplier: UnsafePointer<Int32>
    @usableFromInline package var leftShift: UnsafePointer<Int32>
    @usableFromInline package var rightShift: UnsafePointer<Int32>
    @usableFromInline package var mask: UnsafePointer<Int32>
    /// The 64-bit constants of the AVX-512 requantization, computed at prepare: per group of
    /// 16 channels, 8 lanes each of 2^30 + ⌊2^(right−1)⌋·2^31 for the even then the odd
    /// channels, 2^31 where right > 0 (even, odd), and 31 + right (even, odd) — 48 values.
    @usableFromInline package var lanes: UnsafePointer<Int64>
    /// The float constants of the AVX-512 requantization in float (`fast`), per group of 16
    /// channels: the scales m / 2^(31 + right), then the offsets 2^30 / m (0 where m is 0).
    @usableFromInline package var scales: UnsafePointer<Float>
    /// Whether every channel's parameters allow the float form, which is exact for them: a
    /// multiplier in [2^30, 2^31) or 0, no left shift, a right shift of 1 to 31 (every
    /// requantization of a convolution scales by less than ½ in practice).
    @usableFromInline package var fast: Bool

    /// Values per group of 16 channels in `lanes`.
    @usableFromInline package static let lanesPerGroup = 48
    /// Values per group of 16 channels in `scales`.
    @usableFromInline package static let scalesPerGroup = 32

    @usableFromInline package init(multiplier: UnsafePointer<Int32>, leftShift: UnsafePointer<Int32>, rightShift: UnsafePointer<Int32>, mask: UnsafePointer<Int32>,
                                   lanes: UnsafePointer<Int64>, scales: UnsafePointer<Float>, fast: Bool) {
        self.multiplier = multiplier; self.leftShift = leftShift; self.rightShift = rightShift; self.mask = mask; self.lanes = lanes
        self.scales = scales; self.fast = fast
    }

    /// The parameters from channel `columns` (a multiple of 16, as every caller's panels and
    /// channel vectors are) on.
    @inlinable @inline(__always)
    package func advanced(by columns: Int) -> RequantizationVectors {
        RequantizationVectors(multiplier: multiplier + columns, leftShift: leftShift + columns, rightShift: rightShift + columns, mask: mask + columns,
                              lanes: lanes + columns / 16 * Self.lanesPerGroup, scales: scales + columns / 16 * Self.scalesPerGroup, fast: fast)
    }

    /// Requantizes `rows` rows of `count` accumulators (channels `channel ..< channel + count`,
    /// rows `accStride` apart), adds the output zero point, clamps and narrows into rows of
    /// `out` (`outStride` apart), loading each group of parameters once for all rows. `acc`
    /// must be readable in whole groups of 8 lanes past the last row's `count`, and the
    /// parameters must be padded likewise.
    @inlinable @inline(__always)
    package func requantizeRows<Output: FixedWidthInteger>(_ acc: UnsafePointer<Int32>, rows: Int, accStride: Int, channel: Int, count: Int,
                                                          outputZeroPoint: Int32, minimum: Int32, maximum: Int32,
                                                          into out: UnsafeMutablePointer<Output>, outStride: Int) {
        let zero = SIMD8<Int32>(repeating: outputZeroPoint)
        var lane = 0
        while lane < count {
            let c = channel &+ lane
            let m = UnsafeRawPointer(multiplier + c).loadUnaligned(as: SIMD8<Int32>.self)
            let left = UnsafeRawPointer(leftShift + c).loadUnaligned(as: SIMD8<Int32>.self)
            let right = UnsafeRawPointer(rightShift + c).loadUnaligned(as: SIMD8<Int32>.self)
            let k = UnsafeRawPointer(mask + c).loadUnaligned(as: SIMD8<Int32>.self)
            for r in 0..<rows {
                let x = UnsafeRawPointer(acc + (r &* accStride &+ lane)).loadUnaligned(as: SIMD8<Int32>.self)
                let scaled = multiplyByQuantizedMultiplier(x, multiplier: m, leftShift: left, rightShift: right, mask: k)
                // Lane by lane with a constant trip count: vectorised to min/max instructions (the
                // bitwise select form was partly scalarised here by the optimizer).
                let offset = scaled &+ zero
                var v = SIMD8<Int32>()
                for j in 0..<8 { v[j] = Swift.min(Swift.max(offset[j], minimum), maximum) }
                let row = out + (r &* outStride &+ lane)
                if count &- lane >= 8 && Output.bitWidth == 8 {
                    // The low byte of each lane is the INT8 or UINT8 result: one narrowing store.
                    UnsafeMutableRawPointer(row).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: v), as: SIMD8<UInt8>.self)
                } else {
                    for j in 0..<Swift.min(8, count &- lane) { row[j] = Output(truncatingIfNeeded: v[j]) }
                }
            }
            lane &+= 8
        }
    }
}

/// Integers minus their zero point, as floats: the operand rows of the exact integer kernels.
@inlinable @inline(__always)
package func zeroPointFreeFloats<Element: FixedWidthInteger>(_ source: UnsafePointer<Element>, count: Int, zeroPoint: Int32,
                                                              into to: UnsafeMutablePointer<Float>) {
    for i in 0..<count { to[i] = Float(Int32(truncatingIfNeeded: source[i]) &- zeroPoint) }
}

/// The float constants of quantized ADD and SUB computed in float at AVX-512
/// (`InstructionSetKernels.quantizedAddInFloat`; made at prepare, where the error bound that
/// makes it exact is checked): output ≈ x1·k1 + x2·k2 + z for the inputs plus their offsets
/// x1, x2, with the tie margin δ in `low` = z − δ and `high` = z + δ.
package struct QuantizedAddFloats: Sendable {
    package var k1: Float, k2: Float, low: Float, high: Float

    package init(k1: Float, k2: Float, low: Float, high: Float) {
        self.k1 = k1; self.k2 = k2; self.low = low; self.high = high
    }
}

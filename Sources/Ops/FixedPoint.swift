// The fixed-point arithmetic of TFLite's reference kernels, reproduced bit for bit: the
// rounding doubling high multiply, the rounding divide by a power of two, and the
// (multiplier, shift) encoding of real scale factors.

/// A real factor as TFLite encodes it: `real ≈ multiplier × 2^(shift − 31)` with the
/// multiplier in [2^30, 2^31) (or 0).
package struct QuantizedMultiplier: Equatable, Sendable {
    package var multiplier: Int32
    /// Positive: shift left before the multiply; negative: rounding shift right after it.
    package var shift: Int

    package init(multiplier: Int32, shift: Int) {
        self.multiplier = multiplier
        self.shift = shift
    }

    /// Encodes `real` as TFLite's `QuantizeMultiplier` does (frexp, round half away from zero,
    /// renormalise 2^31, flush shifts below −31 to zero, clamp shifts above 30).
    package init(_ real: Double) {
        guard real != 0, real.isFinite else {
            self.init(multiplier: 0, shift: 0)
            return
        }
        let exponent = real.exponent + 1          // frexp: real = fraction × 2^exponent, fraction in [0.5, 1)
        let fraction = real / Double(sign: .plus, exponent: exponent, significand: 1)
        var fixed = Int64((fraction * Double(Int64(1) << 31)).rounded(.toNearestOrAwayFromZero))
        var shift = exponent
        if fixed == Int64(1) << 31 {
            fixed /= 2
            shift += 1
        }
        if shift < -31 {
            shift = 0
            fixed = 0
        }
        if shift > 30 {
            shift = 30
            fixed = (Int64(1) << 31) - 1
        }
        self.init(multiplier: Int32(truncatingIfNeeded: fixed), shift: shift)
    }

    /// `x × real`, rounded as TFLite's `MultiplyByQuantizedMultiplier`.
    @inline(__always)
    package func apply(_ x: Int32) -> Int32 {
        multiplyByQuantizedMultiplier(x, multiplier, shift)
    }
}

/// The high 32 bits of 2·a·b, rounded to nearest, saturating the single overflow case
/// (a = b = Int32.min). gemmlowp's `SaturatingRoundingDoublingHighMul`.
@inline(__always)
package func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
    if a == b && a == Int32.min { return Int32.max }
    let ab = Int64(a) &* Int64(b)
    let nudge: Int64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30))
    // C++ division truncates toward zero; Swift's `/` on integers does too.
    return Int32(truncatingIfNeeded: (ab &+ nudge) / (Int64(1) << 31))
}

/// x / 2^exponent rounded to nearest, ties away from zero. gemmlowp's `RoundingDivideByPOT`.
@inline(__always)
package func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
    let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
    let remainder = x & mask
    let threshold = (mask >> 1) &+ (x < 0 ? 1 : 0)
    return (x >> Int32(exponent)) &+ (remainder > threshold ? 1 : 0)
}

/// TFLite's `MultiplyByQuantizedMultiplier(x, multiplier, shift)` (double rounding).
@inline(__always)
package func multiplyByQuantizedMultiplier(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
    let leftShift = shift > 0 ? shift : 0
    let rightShift = shift > 0 ? 0 : -shift
    return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x &* (1 << Int32(leftShift)), multiplier), rightShift)
}

/// TFLite's `MultiplyByQuantizedMultiplierSmallerThanOneExp` (shift ≤ 0).
@inline(__always)
package func multiplyByQuantizedMultiplierSmallerThanOneExp(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
    roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -shift)
}

/// TFLite's `MultiplyByQuantizedMultiplierGreaterThanOne` (shift ≥ 0).
@inline(__always)
package func multiplyByQuantizedMultiplierGreaterThanOne(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
    saturatingRoundingDoublingHighMul(x &* (1 << Int32(shift)), multiplier)
}

/// The integer range an output may take after a fused activation, as TFLite's
/// `CalculateActivationRangeQuantized` computes it from the output's scale and zero point.
package func quantizedActivationRange(_ activation: FusedActivationKind, scale: Float, zeroPoint: Int32,
                                      qmin: Int32, qmax: Int32) -> (min: Int32, max: Int32) {
    func quantize(_ f: Float) -> Int32 {
        let q = (f / scale).rounded(.toNearestOrAwayFromZero)
        guard q.isFinite, abs(q) < 1e9 else { return q < 0 ? Int32.min / 2 : Int32.max / 2 }
        return zeroPoint &+ Int32(q)
    }
    switch activation {
    case .relu: return (max(qmin, quantize(0)), qmax)
    case .relu6: return (max(qmin, quantize(0)), min(qmax, quantize(6)))
    case .reluN1To1: return (max(qmin, quantize(-1)), min(qmax, quantize(1)))
    case .none: return (qmin, qmax)
    }
}

/// The fused activations kernels can clamp to (TANH and SIGN_BIT are refused at prepare).
package enum FusedActivationKind: Sendable {
    case none, relu, relu6, reluN1To1
}

/// A `QuantizedMultiplier` prepared for hot loops: branch-free, and identical to
/// `multiplyByQuantizedMultiplier` for the non-negative multipliers `QuantizedMultiplier` makes
/// (so the one saturating case of the doubling high multiply, both operands Int32.min, cannot
/// arise).
package struct PreparedMultiplier: Sendable {
    let multiplier: Int64
    let leftShift: Int32
    let rightShift: Int32
    let mask: Int32

    package init(_ q: QuantizedMultiplier) {
        multiplier = Int64(max(q.multiplier, 0))
        leftShift = Int32(max(q.shift, 0))
        rightShift = Int32(max(-q.shift, 0))
        mask = Int32(truncatingIfNeeded: (Int64(1) << Int64(max(-q.shift, 0))) - 1)
    }

    @inline(__always)
    package func apply(_ x: Int32) -> Int32 {
        let product = Int64(x &<< leftShift) &* multiplier
        let nudged = product &+ (product >= 0 ? (1 << 30) : (1 - (1 << 30)))
        // Division by 2^31 truncating toward zero: add 2^31 − 1 to negative values first.
        let high = Int32(truncatingIfNeeded: (nudged &+ ((nudged &>> 63) & ((1 << 31) - 1))) &>> 31)
        let remainder = high & mask
        let threshold = (mask &>> 1) &+ ((high &>> 31) & 1)
        return (high &>> rightShift) &+ (remainder > threshold ? 1 : 0)
    }
}

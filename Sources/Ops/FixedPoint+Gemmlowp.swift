// gemmlowp's fixed-point functions, as TFLite's reference SOFTMAX and LOGISTIC use them:
// a value with `integerBits` integer bits is an Int32 raw with 31 − integerBits fractional bits.

/// x · 2^exponent, rounding (exponent < 0) or saturating (exponent > 0).
/// gemmlowp's `SaturatingRoundingMultiplyByPOT`.
@inline(__always)
package func saturatingRoundingMultiplyByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
    if exponent == 0 { return x }
    if exponent < 0 { return roundingDivideByPOT(x, -exponent) }
    let threshold = Int32((1 << (31 - exponent)) - 1)
    if x > threshold { return Int32.max }
    if x < -threshold { return Int32.min }
    return x &<< Int32(exponent)
}

/// Moves a raw value from `sourceBits` to `destinationBits` integer bits (gemmlowp `Rescale`).
@inline(__always)
package func rescale(_ raw: Int32, from sourceBits: Int, to destinationBits: Int) -> Int32 {
    saturatingRoundingMultiplyByPOT(raw, sourceBits - destinationBits)
}

/// gemmlowp `RoundingHalfSum`: (a + b) / 2 rounded half away from zero.
@inline(__always)
package func roundingHalfSum(_ a: Int32, _ b: Int32) -> Int32 {
    let sum = Int64(a) + Int64(b)
    return Int32(truncatingIfNeeded: (sum + (sum >= 0 ? 1 : -1)) / 2)
}

/// exp(a) for a in [−1/4, 0), a and the result with 0 integer bits.
@inline(__always)
func expOnIntervalBetweenNegativeOneQuarterAnd0Excl(_ a: Int32) -> Int32 {
    let constantTerm: Int32 = 1_895_147_668       // exp(−1/8)
    let constantOneThird: Int32 = 715_827_883     // 1/3
    let x = a &+ (1 << 28)                          // a + 1/8
    let x2 = saturatingRoundingDoublingHighMul(x, x)
    let x3 = saturatingRoundingDoublingHighMul(x2, x)
    let x4 = saturatingRoundingDoublingHighMul(x2, x2)
    let x4Over4 = roundingDivideByPOT(x4, 2)
    let inner = saturatingRoundingDoublingHighMul(x4Over4 &+ x3, constantOneThird) &+ x2
    let x4Over24PlusX3Over6PlusX2Over2 = roundingDivideByPOT(inner, 1)
    return constantTerm &+ saturatingRoundingDoublingHighMul(constantTerm, x &+ x4Over24PlusX3Over6PlusX2Over2)
}

/// exp(a) for a ≤ 0 with `integerBits` integer bits; the result has 0 integer bits.
/// gemmlowp's `exp_on_negative_values`.
package func expOnNegativeValues(_ a: Int32, integerBits: Int) -> Int32 {
    let fractionalBits = 31 - integerBits
    let oneQuarter: Int32 = 1 << Int32(fractionalBits - 2)
    let mask = oneQuarter &- 1
    let aModQuarterMinusOneQuarter = (a & mask) &- oneQuarter
    var result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(rescale(aModQuarterMinusOneQuarter, from: integerBits, to: 0))
    let remainder = aModQuarterMinusOneQuarter &- a
    let barrel: [(exponent: Int, multiplier: Int32)] = [
        (-2, 1_672_461_947), (-1, 1_302_514_674), (0, 790_015_084), (1, 290_630_308), (2, 39_332_535), (3, 720_401), (4, 242),
    ]
    for (exponent, multiplier) in barrel where integerBits > exponent {
        let shift = fractionalBits + exponent
        if remainder & (1 << Int32(shift)) != 0 {
            result = saturatingRoundingDoublingHighMul(result, multiplier)
        }
    }
    if integerBits > 5 {
        let clamp = -(Int32(1) << Int32(36 - integerBits))
        if a < clamp { result = 0 }
    }
    if a == 0 { result = Int32.max }
    return result
}

/// 1 / (1 + a) for a in [0, 1), both with 0 integer bits (Newton–Raphson, as gemmlowp).
package func oneOverOnePlusXForXIn01(_ a: Int32) -> Int32 {
    let halfDenominator = roundingHalfSum(a, Int32.max)
    let constant48Over17: Int32 = 1_515_870_810
    let constantNeg32Over17: Int32 = -1_010_580_540
    var x = constant48Over17 &+ saturatingRoundingDoublingHighMul(halfDenominator, constantNeg32Over17)
    let oneF2: Int32 = 1 << 29
    for _ in 0..<3 {
        let halfDenominatorTimesX = saturatingRoundingDoublingHighMul(halfDenominator, x)
        let oneMinus = oneF2 &- halfDenominatorTimesX
        x = x &+ rescale(saturatingRoundingDoublingHighMul(x, oneMinus), from: 4, to: 2)
    }
    return rescale(x, from: 1, to: 0)
}

/// TFLite's `GetReciprocal`: 1/x for x with `integerBits` integer bits, as a 0-integer-bit
/// value scaled by 2^−bitsOverUnit.
package func reciprocal(_ x: Int32, integerBits: Int) -> (value: Int32, bitsOverUnit: Int) {
    let headroomPlusOne = UInt32(bitPattern: x).leadingZeroBitCount
    let bitsOverUnit = integerBits - headroomPlusOne
    let shiftedSumMinusOne = Int32(bitPattern: (UInt32(bitPattern: x) &<< UInt32(headroomPlusOne)) &- (UInt32(1) << 31))
    return (oneOverOnePlusXForXIn01(shiftedSumMinusOne), bitsOverUnit)
}

/// gemmlowp's int16 `SaturatingRoundingDoublingHighMul`.
@inline(__always)
package func saturatingRoundingDoublingHighMul16(_ a: Int16, _ b: Int16) -> Int16 {
    if a == b && a == Int16.min { return Int16.max }
    let ab = Int32(a) * Int32(b)
    let nudge: Int32 = ab >= 0 ? (1 << 14) : (1 - (1 << 14))
    return Int16(truncatingIfNeeded: (ab + nudge) / (1 << 15))
}

/// TFLite's int16 `SaturatingDoublingHighMul` (no rounding), used by HARD_SWISH.
@inline(__always)
package func saturatingDoublingHighMul16(_ a: Int16, _ b: Int16) -> Int16 {
    if a == b && a == Int16.min { return Int16.max }
    return Int16(truncatingIfNeeded: (Int32(a) * Int32(b)) / (1 << 15))
}

/// gemmlowp's int16 `RoundingDivideByPOT`.
@inline(__always)
package func roundingDivideByPOT16(_ x: Int16, _ exponent: Int) -> Int16 {
    let mask = Int16(truncatingIfNeeded: (1 << exponent) - 1)
    let remainder = x & mask
    let threshold = (mask >> 1) &+ (x < 0 ? 1 : 0)
    return (x >> Int16(exponent)) &+ (remainder > threshold ? 1 : 0)
}

/// TFLite's int16 `SaturatingLeftShift`.
@inline(__always)
package func saturatingLeftShift16(_ value: Int16, _ amount: Int) -> Int16 {
    let result = Int64(value) * (Int64(1) << amount)
    return Int16(min(max(result, Int64(Int16.min)), Int64(Int16.max)))
}

/// TFLite's `DownScaleInt32ToInt16Multiplier`.
package func downScaleInt32ToInt16Multiplier(_ multiplier: Int32) -> Int16 {
    let roundingOffset: Int32 = 1 << 15
    if multiplier >= Int32.max - roundingOffset { return Int16.max }
    return Int16(truncatingIfNeeded: (multiplier + roundingOffset) >> 16)
}

// gemmlowp's fixed-point functions (fixedpoint/fixedpoint.h), as TFLite's reference SOFTMAX and
// HARD_SWISH use them, reproduced bit for bit. gemmlowp's `FixedPoint<int32_t, IntegerBits>` is
// a plain Int32 raw value here: with `integerBits` integer bits it holds raw / 2^(31 − integerBits).
// Its operations map as follows:
//   a * b (IntegerBits add up)        → saturatingRoundingDoublingHighMul(a, b)
//   a + b, a − b                      → a &+ b, a &− b (gemmlowp's scalar Add does not saturate)
//   Rescale<Dst>(x) from Src bits     → rescale(x, from: Src, to: Dst)
//   SaturatingRoundingMultiplyByPOT<E>→ saturatingRoundingMultiplyByPOT(x, E)
//   ExactMulByPot<E>                  → the raw value unchanged, E more integer bits
//   One() with 0 integer bits         → Int32.max; with n > 0 integer bits → 1 << (31 − n)

// MARK: - 32-bit

/// x · 2^exponent, rounding to nearest (exponent < 0) or saturating (exponent > 0).
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

/// gemmlowp `RoundingHalfSum`: (a + b) / 2, rounded half away from zero, without overflow.
@inline(__always)
package func roundingHalfSum(_ a: Int32, _ b: Int32) -> Int32 {
    let sum = Int64(a) + Int64(b)
    return Int32(truncatingIfNeeded: (sum + (sum >= 0 ? 1 : -1)) / 2)
}

/// exp(a) for a in [−1/4, 0); `a` and the result have 0 integer bits. gemmlowp's
/// `exp_on_interval_between_negative_one_quarter_and_0_excl`: a Taylor expansion around −1/8.
@inline(__always)
package func expOnIntervalBetweenNegativeOneQuarterAnd0Excl(_ a: Int32) -> Int32 {
    let constantTerm: Int32 = 1_895_147_668       // exp(−1/8)
    let constantOneThird: Int32 = 715_827_883     // 1/3
    let x = a &+ (1 << 28)                          // a + 1/8
    let x2 = saturatingRoundingDoublingHighMul(x, x)
    let x3 = saturatingRoundingDoublingHighMul(x2, x)
    let x4 = saturatingRoundingDoublingHighMul(x2, x2)
    let x4Over4 = roundingDivideByPOT(x4, 2)
    let x4Over24PlusX3Over6PlusX2Over2 =
        roundingDivideByPOT(saturatingRoundingDoublingHighMul(x4Over4 &+ x3, constantOneThird) &+ x2, 1)
    return constantTerm &+ saturatingRoundingDoublingHighMul(constantTerm, x &+ x4Over24PlusX3Over6PlusX2Over2)
}

/// exp(a) for a ≤ 0, `a` with `integerBits` integer bits (0…31); the result has 0 integer bits.
/// gemmlowp's `exp_on_negative_values`: exp of a's remainder modulo 1/4 by Taylor expansion,
/// times exp(−2^k) for each bit k of the rest (the "barrel shifter").
@inline(__always)
package func expOnNegativeValues(_ a: Int32, integerBits: Int) -> Int32 {
    let fractionalBits = 31 - integerBits
    let oneQuarter: Int32 = 1 &<< Int32(fractionalBits - 2)
    let aModQuarterMinusOneQuarter = (a & (oneQuarter &- 1)) &- oneQuarter
    var result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(rescale(aModQuarterMinusOneQuarter, from: integerBits, to: 0))
    let remainder = aModQuarterMinusOneQuarter &- a

    @inline(__always)
    func barrel(_ exponent: Int, _ multiplier: Int32) {
        // gemmlowp compiles a step only when kIntegerBits > Exponent.
        guard integerBits > exponent else { return }
        if remainder & (1 &<< Int32(fractionalBits + exponent)) != 0 {
            result = saturatingRoundingDoublingHighMul(result, multiplier)
        }
    }
    barrel(-2, 1_672_461_947)   // exp(−1/4)
    barrel(-1, 1_302_514_674)   // exp(−1/2)
    barrel(0, 790_015_084)      // exp(−1)
    barrel(1, 290_630_308)      // exp(−2)
    barrel(2, 39_332_535)       // exp(−4)
    barrel(3, 720_401)          // exp(−8)
    barrel(4, 242)              // exp(−16)

    if integerBits > 5 {
        let clamp = -(Int32(1) &<< Int32(36 - integerBits))   // −32
        if a < clamp { result = 0 }
    }
    if a == 0 { result = Int32.max }
    return result
}

/// 1 / (1 + a) for a in [0, 1), both with 0 integer bits: three Newton–Raphson steps from
/// 48/17 − 32/17·d. gemmlowp's `one_over_one_plus_x_for_x_in_0_1`.
@inline(__always)
package func oneOverOnePlusXForXIn01(_ a: Int32) -> Int32 {
    let halfDenominator = roundingHalfSum(a, Int32.max)        // (a + 1) / 2, 0 integer bits
    let constant48Over17: Int32 = 1_515_870_810                // 2 integer bits
    let constantNeg32Over17: Int32 = -1_010_580_540            // 2 integer bits
    var x = constant48Over17 &+ saturatingRoundingDoublingHighMul(halfDenominator, constantNeg32Over17)
    let one: Int32 = 1 << 29                                   // 1 with 2 integer bits
    for _ in 0..<3 {
        let halfDenominatorTimesX = saturatingRoundingDoublingHighMul(halfDenominator, x)
        let oneMinusHalfDenominatorTimesX = one &- halfDenominatorTimesX
        x = x &+ rescale(saturatingRoundingDoublingHighMul(x, oneMinusHalfDenominatorTimesX), from: 4, to: 2)
    }
    // ExactMulByPot<−1> (x/2 with 1 integer bit, same raw), then Rescale<0>.
    return rescale(x, from: 1, to: 0)
}

/// TFLite's `GetReciprocal`: for x > 0 with `integerBits` integer bits, returns a value v with
/// 0 integer bits and a count n such that 1/x ≈ v · 2^−n.
@inline(__always)
package func reciprocal(_ x: Int32, integerBits: Int) -> (value: Int32, bitsOverUnit: Int) {
    let headroomPlusOne = UInt32(bitPattern: x).leadingZeroBitCount
    let bitsOverUnit = integerBits - headroomPlusOne
    let shiftedSumMinusOne = Int32(bitPattern: (UInt32(bitPattern: x) &<< UInt32(headroomPlusOne)) &- (UInt32(1) << 31))
    return (oneOverOnePlusXForXIn01(shiftedSumMinusOne), bitsOverUnit)
}

// MARK: - 16-bit (HARD_SWISH)

/// gemmlowp's int16 `SaturatingRoundingDoublingHighMul`: the high 16 bits of 2·a·b, rounded
/// (negative ties toward zero, as the 32-bit form).
@inline(__always)
package func saturatingRoundingDoublingHighMul16(_ a: Int16, _ b: Int16) -> Int16 {
    if a == b && a == Int16.min { return Int16.max }
    let ab = Int32(a) * Int32(b)
    let nudge: Int32 = ab >= 0 ? (1 << 14) : (1 - (1 << 14))
    return Int16(truncatingIfNeeded: (ab + nudge) / (1 << 15))
}

/// TFLite's `SaturatingDoublingHighMul` (reference/hard_swish.h): as above but truncating
/// toward zero (ARM's SQDMULH).
@inline(__always)
package func saturatingDoublingHighMul16(_ a: Int16, _ b: Int16) -> Int16 {
    if a == b && a == Int16.min { return Int16.max }
    return Int16(truncatingIfNeeded: (Int32(a) * Int32(b)) / (1 << 15))
}

/// gemmlowp's int16 `RoundingDivideByPOT`, exponent 0…31 (the mask is `(1 << exponent) − 1`
/// truncated to 16 bits, so exponents ≥ 16 leave only the sign).
@inline(__always)
package func roundingDivideByPOT16(_ x: Int16, _ exponent: Int) -> Int16 {
    let mask = Int16(truncatingIfNeeded: (Int64(1) << exponent) - 1)
    let remainder = x & mask
    let threshold = (mask >> 1) &+ (x < 0 ? 1 : 0)
    return (x >> Int16(exponent)) &+ (remainder > threshold ? 1 : 0)
}

/// TFLite's int16 `SaturatingLeftShift` (reference/hard_swish.h): value · 2^amount, clamped.
@inline(__always)
package func saturatingLeftShift16(_ value: Int16, _ amount: Int) -> Int16 {
    let result = Int64(value) * (Int64(1) << amount)
    return Int16(min(max(result, Int64(Int16.min)), Int64(Int16.max)))
}

/// TFLite's `DownScaleInt32ToInt16Multiplier`: the high 16 bits of a Q31 multiplier, rounded.
package func downScaleInt32ToInt16Multiplier(_ multiplier: Int32) -> Int16 {
    let roundingOffset: Int32 = 1 << 15
    if multiplier >= Int32.max - roundingOffset { return Int16.max }
    return Int16(truncatingIfNeeded: (multiplier + roundingOffset) >> 16)
}

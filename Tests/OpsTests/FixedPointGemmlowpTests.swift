#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import Ops

/// gemmlowp's fixed-point functions: exact values at the boundaries, accuracy against the real
/// functions, and the int16 helpers HARD_SWISH uses.
@Suite struct FixedPointGemmlowpTests {
    static func real(_ raw: Int32, integerBits: Int) -> Double { Double(raw) / Double(Int64(1) << (31 - integerBits)) }

    @Test func saturatingMultiplyByPowerOfTwo() {
        #expect(saturatingRoundingMultiplyByPOT(3, 0) == 3)
        #expect(saturatingRoundingMultiplyByPOT(5, -1) == 3)
        #expect(saturatingRoundingMultiplyByPOT(-5, -1) == -3)
        #expect(saturatingRoundingMultiplyByPOT(1 << 29, 2) == Int32.max)          // above the threshold 2^29 − 1
        #expect(saturatingRoundingMultiplyByPOT((1 << 29) - 1, 2) == ((1 << 29) - 1) << 2)
        #expect(saturatingRoundingMultiplyByPOT(-(1 << 29), 2) == Int32.min)
        #expect(rescale(1 << 19, from: 12, to: 0) == Int32.max)
        #expect(rescale(Int32.max, from: 0, to: 12) == 1 << 19)
        #expect(roundingHalfSum(Int32.max, Int32.max) == Int32.max)
        #expect(roundingHalfSum(3, 4) == 4 && roundingHalfSum(-3, -4) == -4 && roundingHalfSum(-3, 4) == 1)
    }

    @Test func expOnNegativeValuesIsAccurate() {
        #expect(expOnNegativeValues(0, integerBits: 5) == Int32.max)
        var rng = SeededGenerator(seed: 111)
        for integerBits in [0, 1, 3, 5, 8] {
            var worst = 0.0
            for _ in 0..<20_000 {
                let a = Int32.random(in: Int32.min...0, using: &rng)
                let x = Self.real(a, integerBits: integerBits)
                let got = Self.real(expOnNegativeValues(a, integerBits: integerBits), integerBits: 0)
                worst = max(worst, abs(got - exp(x)))
            }
            #expect(worst < 5e-7, "integer bits \(integerBits): worst error \(worst)")
        }
        // Below −32 the result is 0 when there are more than 5 integer bits.
        #expect(expOnNegativeValues(-(33 << 23), integerBits: 8) == 0)
        // exp(−1/4) exactly on the barrel shifter's first step.
        #expect(abs(Self.real(expOnNegativeValues(-(1 << 24), integerBits: 5), integerBits: 0) - exp(-0.25)) < 5e-7)
    }

    @Test func oneOverOnePlusXAndReciprocalAreAccurate() {
        var rng = SeededGenerator(seed: 112)
        for _ in 0..<20_000 {
            let a = Int32.random(in: 0...Int32.max, using: &rng)
            let got = Self.real(oneOverOnePlusXForXIn01(a), integerBits: 0)
            #expect(abs(got - 1 / (1 + Self.real(a, integerBits: 0))) < 1e-8)
        }
        for _ in 0..<20_000 {
            let x = Int32.random(in: 1...Int32.max, using: &rng)   // 12 integer bits, as SOFTMAX's sum
            let (value, bitsOverUnit) = reciprocal(x, integerBits: 12)
            let got = Self.real(value, integerBits: 0) * pow(2, -Double(bitsOverUnit))
            let expected = 1 / Self.real(x, integerBits: 12)
            #expect(abs(got - expected) <= expected * 1e-8)
        }
        // 1 with 12 integer bits: headroom 12, shifted to exactly 1.0, so 1/(1 + 0).
        #expect(reciprocal(1 << 19, integerBits: 12) == (Int32.max, 0))
    }

    @Test func int16Helpers() {
        #expect(saturatingRoundingDoublingHighMul16(.min, .min) == .max)
        #expect(saturatingRoundingDoublingHighMul16(1 << 14, 1 << 14) == 1 << 13)
        #expect(saturatingRoundingDoublingHighMul16(3, 1 << 14) == 2)       // 1.5 → 2
        #expect(saturatingRoundingDoublingHighMul16(-3, 1 << 14) == -1)     // −1.5 → −1 (toward zero)
        #expect(saturatingDoublingHighMul16(3, 1 << 14) == 1)               // truncates
        #expect(saturatingDoublingHighMul16(-3, 1 << 14) == -1)
        #expect(saturatingDoublingHighMul16(.min, .min) == .max)
        #expect(roundingDivideByPOT16(5, 1) == 3 && roundingDivideByPOT16(-5, 1) == -3 && roundingDivideByPOT16(-6, 2) == -2)
        // Exponents ≥ 16: gemmlowp's mask truncates to all ones and the threshold to −1 or 0, so
        // x ≥ 0 gives 1 and x < 0 gives −1 (HardSwishTests has LiteRT doing it).
        #expect(roundingDivideByPOT16(32767, 20) == 1 && roundingDivideByPOT16(0, 16) == 1 && roundingDivideByPOT16(-1, 17) == -1)
        #expect(roundingDivideByPOT16(-32768, 31) == -1 && roundingDivideByPOT16(5, 15) == 0)
        #expect(saturatingLeftShift16(300, 7) == .max && saturatingLeftShift16(-300, 7) == .min && saturatingLeftShift16(3, 2) == 12)
        #expect(downScaleInt32ToInt16Multiplier(1 << 30) == 1 << 14)
        #expect(downScaleInt32ToInt16Multiplier((1 << 30) + (1 << 15)) == (1 << 14) + 1)
        #expect(downScaleInt32ToInt16Multiplier(Int32.max - 100) == .max)
    }
}

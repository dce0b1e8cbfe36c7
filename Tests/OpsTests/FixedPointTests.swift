import Testing
import Microkernels
import Ops

@Suite struct FixedPointTests {
    @Test func quantizeMultiplierMatchesTFLiteEncoding() {
        // 0.5 = 2^30 × 2^(0 − 31)·2 → TFLite gives (1 << 30, 0).
        #expect(QuantizedMultiplier(0.5) == QuantizedMultiplier(multiplier: 1 << 30, shift: 0))
        #expect(QuantizedMultiplier(1.0) == QuantizedMultiplier(multiplier: 1 << 30, shift: 1))
        #expect(QuantizedMultiplier(0.25) == QuantizedMultiplier(multiplier: 1 << 30, shift: -1))
        #expect(QuantizedMultiplier(0) == QuantizedMultiplier(multiplier: 0, shift: 0))
        // Values just under a power of two round up to 2^31 and renormalise.
        #expect(QuantizedMultiplier(0.99999999999) == QuantizedMultiplier(multiplier: 1 << 30, shift: 1))
        // Tiny factors flush to zero.
        #expect(QuantizedMultiplier(1e-12) == QuantizedMultiplier(multiplier: 0, shift: 0))
    }

    @Test func roundingDoublingHighMul() {
        #expect(saturatingRoundingDoublingHighMul(Int32.min, Int32.min) == Int32.max)
        #expect(saturatingRoundingDoublingHighMul(1 << 30, 1 << 30) == 1 << 29)
        // Ties round up for positive products; gemmlowp's nudge of 1 − 2^30 makes exact
        // negative ties round toward zero (−1.5 → −1), and the reference kernels inherit that.
        #expect(saturatingRoundingDoublingHighMul(3, 1 << 30) == 2)
        #expect(saturatingRoundingDoublingHighMul(-3, 1 << 30) == -1)
        #expect(saturatingRoundingDoublingHighMul(-5, 1 << 29) == -1)
    }

    @Test func roundingDivideByPowerOfTwo() {
        #expect(roundingDivideByPOT(5, 1) == 3)
        #expect(roundingDivideByPOT(-5, 1) == -3)
        #expect(roundingDivideByPOT(4, 1) == 2)
        #expect(roundingDivideByPOT(-4, 2) == -1)
        #expect(roundingDivideByPOT(-6, 2) == -2)
        #expect(roundingDivideByPOT(7, 0) == 7)
    }

    @Test func multiplyByQuantizedMultiplierScales() {
        let half = QuantizedMultiplier(0.5)
        #expect(half.apply(100) == 50)
        #expect(half.apply(101) == 51)
        #expect(half.apply(-101) == -50)
        #expect(half.apply(-103) == -51)
        let three = QuantizedMultiplier(3.0)
        #expect(three.apply(7) == 21)
        #expect(QuantizedMultiplier(0.0078125).apply(1000) == 8)
    }
}

@Suite struct PreparedMultiplierTests {
    /// The branch-free form agrees with the reference form on seeded random accumulators,
    /// multipliers and shifts of both directions.
    @Test func matchesMultiplyByQuantizedMultiplier() {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<200_000 {
            let q = QuantizedMultiplier(Double.random(in: 1e-7...60, using: &generator))
            let bound: Int32 = [300, 100_000, 1 << 24, Int32.max / 64].randomElement(using: &generator) ?? 300
            let x = Int32.random(in: -bound...bound, using: &generator)
            #expect(PreparedMultiplier(q).apply(x) == multiplyByQuantizedMultiplier(x, q.multiplier, q.shift))
        }
    }
}

@Suite struct VectorRequantizationTests {
    /// The 8-lane requantization of the micro-kernels (`RequantizationVectors`) agrees with
    /// the scalar reference form lane by lane: seeded random accumulators (including
    /// Int32.min/max and exact halves), per-lane multipliers of both shift directions.
    @Test func matchesMultiplyByQuantizedMultiplier() {
        var generator = SeededGenerator(seed: 12)
        for _ in 0..<25_000 {
            let qs = (0..<8).map { _ in QuantizedMultiplier(Double.random(in: 1e-7...60, using: &generator)) }
            let buffers = RequantizationBuffers(qs, paddedTo: 8)
            let v = buffers.vectors
            let bound: Int32 = [300, 100_000, 1 << 24, Int32.max].randomElement(using: &generator) ?? 300
            var x = (0..<8).map { _ in Int32.random(in: -bound...bound, using: &generator) }
            if Bool.random(using: &generator) { x[0] = .min; x[1] = .max; x[2] = 1 << 20; x[3] = -(1 << 20) }
            let lanes = x.withUnsafeBufferPointer { $0.baseAddress.unsafelyUnwrapped.withMemoryRebound(to: SIMD8<Int32>.self, capacity: 1) { $0.pointee } }
            let result = multiplyByQuantizedMultiplier(lanes, multiplier: UnsafeRawPointer(v.multiplier).loadUnaligned(as: SIMD8<Int32>.self),
                                                       leftShift: UnsafeRawPointer(v.leftShift).loadUnaligned(as: SIMD8<Int32>.self),
                                                       rightShift: UnsafeRawPointer(v.rightShift).loadUnaligned(as: SIMD8<Int32>.self),
                                                       mask: UnsafeRawPointer(v.mask).loadUnaligned(as: SIMD8<Int32>.self))
            for lane in 0..<8 {
                #expect(result[lane] == PreparedMultiplier(qs[lane]).apply(x[lane]), "\(qs[lane]) \(x[lane])")
                if x[lane] < (1 << 24) && x[lane] > -(1 << 24) {
                    #expect(result[lane] == multiplyByQuantizedMultiplier(x[lane], qs[lane].multiplier, qs[lane].shift))
                }
            }
        }
    }
}

import Foundation
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

@Suite struct ByteRequantizationTests {
    /// Every instruction-set level's byte requantization (`KernelISA.requantizeRows`: on
    /// AVX-512 the float form wherever the parameters allow it, redoing near-tie vectors in
    /// integers) gives the reference's bytes: `MultiplyByQuantizedMultiplier` plus the zero
    /// point, clamped. Seeded random channels — mostly scales below ½ (the float form), some
    /// above ½, above 1 or 0 (the integer form) — INT8 and UINT8 zero points and ranges, and
    /// accumulators both random (up to Int32's limits) and placed within a few units of the
    /// reference's rounding ties, where a float computation could go wrong.
    @Test func everyLevelMatchesTheReference() {
        var generator = SeededGenerator(seed: 31)
        var floatForm = 0, trials = 0, checked = 0
        for _ in 0..<1500 {
            let channels = Int.random(in: 1...40, using: &generator)
            let kind = Int.random(in: 0..<10, using: &generator)
            let qs: [QuantizedMultiplier] = (0..<channels).map { _ in
                switch kind {
                case 0: return QuantizedMultiplier([0, 0.5, 0.7, 3.5, 1e-9].randomElement(using: &generator) ?? 0)
                case 1: return QuantizedMultiplier(Double.random(in: 1e-7...4, using: &generator))
                default: return QuantizedMultiplier(exp(Double.random(in: log(1e-6)...log(0.499), using: &generator)))
                }
            }
            let buffers = RequantizationBuffers(qs, paddedTo: channels)
            trials += 1
            if buffers.vectors.fast { floatForm += 1 }
            let signed = Bool.random(using: &generator)
            let zeroPoint = signed ? Int32.random(in: -128...127, using: &generator) : Int32.random(in: 0...255, using: &generator)
            let full: (Int32, Int32) = signed ? (-128, 127) : (0, 255)
            let range = [full, (zeroPoint, full.1), (max(full.0, zeroPoint - 20), min(full.1, zeroPoint + 30))].randomElement(using: &generator) ?? full
            let rows = Int.random(in: 1...6, using: &generator)
            var acc = [Int32](repeating: 0, count: rows * channels + 16)
            for r in 0..<rows {
                for c in 0..<channels {
                    let m = Double(qs[c].multiplier), right = Double(max(-qs[c].shift, 0))
                    var x = Int32.random(in: -100_000...100_000, using: &generator)
                    switch Int.random(in: 0..<6, using: &generator) {
                    case 0, 1, 2:
                        // Near a tie of the rounding divide: x·m / 2^(31+r) ≈ k + ½ ∓ 2^−(r+1).
                        guard m > 0 && qs[c].shift < 0 else { break }
                        let k = Double(Int.random(in: -200...200, using: &generator)) + 0.5
                        let tie = k + (Bool.random(using: &generator) ? 1 : -1) * pow(2, -(right + 1))
                        let exact = tie * pow(2, 31 + right) / m
                        if exact.magnitude < 2e9 { x = Int32(exact.rounded()) &+ Int32.random(in: -2...2, using: &generator) }
                    case 3: x = [Int32.min, Int32.max, 0, -1, 1, 1 << 24, -(1 << 24)].randomElement(using: &generator) ?? 0
                    case 4: x = Int32.random(in: Int32.min...Int32.max, using: &generator)
                    default: break
                    }
                    acc[r * channels + c] = x
                }
            }
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                var out = [Int8](repeating: 0, count: rows * channels + 16)
                acc.withUnsafeBufferPointer { a in
                    out.withUnsafeMutableBufferPointer { o in
                        guard let a = a.baseAddress, let o = o.baseAddress else { return }
                        isa.requantizeRows(buffers.vectors, a, rows: rows, stride: channels, count: channels, outputZeroPoint: zeroPoint,
                                           minimum: range.0, maximum: range.1, into: o)
                    }
                }
                for i in 0..<(rows * channels) {
                    let c = i % channels
                    let expected = min(max(PreparedMultiplier(qs[c]).apply(acc[i]) &+ zeroPoint, range.0), range.1)
                    let actual = signed ? Int32(out[i]) : Int32(UInt8(bitPattern: out[i]))
                    #expect(actual == expected, "\(isa) x \(acc[i]) q \(qs[c]) zero point \(zeroPoint) range \(range)")
                    checked += 1
                }
            }
        }
        // The float form ran on most trials (where the CPU has AVX-512).
        #expect(floatForm * 2 > trials)
        #expect(checked > 100_000)
    }
}

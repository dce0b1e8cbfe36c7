import Testing
import Ops
import TFLiteCore

/// activations.cc `HardSwishPrepare` and reference/hard_swish.h's quantized `HardSwish`,
/// transliterated with their own int16 helpers.
struct ReferenceQuantizedHardSwish {
    var inputZeroPoint: Int16, outputZeroPoint: Int16
    var reluishMultiplierFixedpointInt16: Int16, reluishMultiplierExponent: Int
    var outputMultiplierFixedpointInt16: Int16, outputMultiplierExponent: Int
    let type: DataType

    init(_ qi: QuantizationParameters, _ qo: QuantizationParameters, type: DataType) {
        self.type = type
        inputZeroPoint = Int16(qi.zeroPoints[0])
        outputZeroPoint = Int16(qo.zeroPoints[0])
        let inputScale = qi.scales[0]
        let hiresInputScale: Float = (1.0 / 128.0) * inputScale
        let reluishScale: Float = 3.0 / 32768.0
        let outputScale = qo.scales[0]
        let outputMultiplier: Float = hiresInputScale / outputScale
        let o = QuantizedMultiplier(Double(outputMultiplier))
        outputMultiplierExponent = o.shift
        outputMultiplierFixedpointInt16 = Self.downScale(o.multiplier)
        let reluishMultiplier: Float = hiresInputScale / reluishScale
        let r = QuantizedMultiplier(Double(reluishMultiplier))
        reluishMultiplierExponent = r.shift
        reluishMultiplierFixedpointInt16 = Self.downScale(r.multiplier)
    }

    static func downScale(_ m: Int32) -> Int16 {
        if m >= Int32.max - (1 << 15) { return Int16.max }
        return Int16((m + (1 << 15)) >> 16)
    }

    static func saturatingLeftShift(_ value: Int16, _ amount: Int) -> Int16 {
        let result = Int64(value) * Int64(1 << amount)
        return Int16(max(min(result, Int64(Int16.max)), Int64(Int16.min)))
    }

    static func saturatingDoublingHighMul(_ a: Int16, _ b: Int16) -> Int16 {
        if a == b && a == Int16.min { return Int16.max }
        return Int16(truncatingIfNeeded: (Int32(a) * Int32(b)) / (1 << 15))
    }

    static func saturatingRoundingDoublingHighMul(_ a: Int16, _ b: Int16) -> Int16 {
        if a == b && a == Int16.min { return Int16.max }
        let ab = Int32(a) * Int32(b)
        let nudge: Int32 = ab >= 0 ? (1 << 14) : (1 - (1 << 14))
        return Int16(truncatingIfNeeded: (ab + nudge) / (1 << 15))
    }

    static func roundingDivideByPOT(_ x: Int16, _ exponent: Int) -> Int16 {
        let mask = Int32(truncatingIfNeeded: Int16(truncatingIfNeeded: (Int64(1) << exponent) - 1))
        let remainder = Int32(x) & mask
        let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
        return Int16(truncatingIfNeeded: (Int32(x) >> min(exponent, 31)) + (remainder > threshold ? 1 : 0))
    }

    func callAsFunction(_ x: Int32) -> Int32 {
        let inputValue = Int16(truncatingIfNeeded: x - Int32(inputZeroPoint))
        let inputValueOnHiresInputScale = Int16(truncatingIfNeeded: Int32(inputValue) * (1 << 7))
        let inputValueOnPreshiftOutputScale = Self.saturatingRoundingDoublingHighMul(inputValueOnHiresInputScale, outputMultiplierFixedpointInt16)
        var reluishValue = inputValueOnHiresInputScale
        if reluishMultiplierExponent > 0 { reluishValue = Self.saturatingLeftShift(reluishValue, reluishMultiplierExponent - 1) }
        reluishValue = Self.saturatingRoundingDoublingHighMul(reluishValue, reluishMultiplierFixedpointInt16)
        if reluishMultiplierExponent > 0 { reluishValue = Self.saturatingLeftShift(reluishValue, 1) }
        if reluishMultiplierExponent < 0 { reluishValue = Self.roundingDivideByPOT(reluishValue, -reluishMultiplierExponent) }
        reluishValue = Int16(truncatingIfNeeded: (Int32(reluishValue) + (1 << 15)) >> 1)
        let preshiftOutputValue = Self.saturatingDoublingHighMul(reluishValue, inputValueOnPreshiftOutputScale)
        var outputValue = Self.roundingDivideByPOT(preshiftOutputValue, -outputMultiplierExponent)
        outputValue = Int16(truncatingIfNeeded: Int32(outputValue) + Int32(outputZeroPoint))
        let (lo, hi) = type.quantizedRange!
        outputValue = min(outputValue, Int16(hi))
        outputValue = max(outputValue, Int16(lo))
        return Int32(outputValue)
    }
}

@Suite struct HardSwishTests {
    static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel { try HardSwish.prepare(&context) }

    /// The table the kernel builds against the reference arithmetic, on all 256 inputs.
    @Test(arguments: [DataType.int8, .uint8])
    func tableMatchesReferenceOnEveryInput(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 31 : 32)
        for round in 0..<300 {
            // Scales from tiny to large, so both reluish shift directions and saturation occur.
            let qi = Elementwise.randomQuantization(type, &rng, scales: round % 3 == 0 ? 1e-3...50 : 0.005...0.5)
            var qo = Elementwise.randomQuantization(type, &rng, scales: 0.005...0.5)
            qo.scales[0] = max(qo.scales[0], qi.scales[0] / 127)   // keep the output multiplier below 1
            let reference = ReferenceQuantizedHardSwish(qi, qo, type: type)
            let output = try Elementwise.runUnary(Self.prepare, input: type, shape: [256], bytes: Elementwise.allBytes, quantization: qi,
                                                  output: type, outputQuantization: qo)
            let expected = Elementwise.allBytes.map { Elementwise.byte(reference(Elementwise.value($0, type))) }
            #expect(output == expected, "\(qi) → \(qo)")
        }
    }

    /// The table lookups at every instruction-set level this CPU runs (64 bytes per `vpermi2b`
    /// pair with AVX512_VBMI, else one by one), on 1 and 2 threads, over inputs whose lengths
    /// leave partial vectors and split into uneven ranges: each byte as the reference maps it.
    @Test(arguments: [DataType.int8, .uint8])
    func everyLevelLooksUpEveryByte(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 33 : 34)
        let qi = Elementwise.randomQuantization(type, &rng, scales: 0.01...0.2)
        var qo = Elementwise.randomQuantization(type, &rng, scales: 0.01...0.2)
        qo.scales[0] = max(qo.scales[0], qi.scales[0] / 127)
        let reference = ReferenceQuantizedHardSwish(qi, qo, type: type)
        for count in [1, 63, 65, 256 + 37, 40_000 + 13] {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = bytes.map { Elementwise.byte(reference(Elementwise.value($0, type))) }
            for isa in KernelISA.allCases where isa <= .supported {
                for threads in [1, 2] {
                    let output = try KernelHarness.run(threads: threads, isa: isa, inputs: [.bytes(type, [count], bytes, quantization: qi)],
                                                       outputs: [TensorDescription(type: type, shape: [], quantization: qo)],
                                                       prepare: Self.prepare)[0]
                    #expect(output == expected, "\(count) bytes at \(isa), \(threads) thread(s)")
                }
            }
        }
    }

    @Test func floatMatchesScalarReference() throws {
        var rng = SeededGenerator(seed: 33)
        let x = (0..<5000).map { _ in Float.random(in: -8...8, using: &rng) } + [-3, 3, 0, -0.0, 6, -6]
        let output = try Elementwise.runUnary(Self.prepare, input: .float32, shape: [x.count], bytes: [UInt8](values: x),
                                              quantization: nil, output: .float32, outputQuantization: nil, threads: 2).values(as: Float.self)
        for (i, v) in x.enumerated() {
            let expected = v * min(Float(6), max(Float(0), v + 3)) / 6
            #expect(abs(output[i] - expected) <= 1e-6)
        }
        #expect(output[x.count - 6] == 0 && output[x.count - 5] == 3 && output[x.count - 2] == 6)
    }

    /// Outputs of LiteRT 2.3.0's reference kernels for these parameters, including one where the
    /// reference's int16 `output_value += output_zero_point` wraps (x = 255 → 0, not 255).
    @Test func knownValuesFromLiteRT() throws {
        let x: [Int8] = [-128, -100, -60, -30, -10, -1, 0, 1, 10, 30, 60, 100, 127]
        let int8 = try Elementwise.runUnary(Self.prepare, input: .int8, shape: [13], bytes: [UInt8](values: x), quantization: quantization(0.05, -10),
                                            output: .int8, outputQuantization: quantization(0.03, -40)).values(as: Int8.self)
        #expect(int8 == [-40, -40, -47, -51, -40, -31, -30, -29, -18, 16, 77, 127, 127])
        let uint8 = try Elementwise.runUnary(Self.prepare, input: .uint8, shape: [13], bytes: x.map { UInt8(Int($0) + 128) },
                                             quantization: quantization(0.1, 128), output: .uint8, outputQuantization: quantization(0.05, 20))
        #expect(uint8 == [20, 20, 20, 20, 13, 19, 20, 21, 33, 80, 140, 220, 255])
        let wrapping = try Elementwise.runUnary(Self.prepare, input: .uint8, shape: [11], bytes: [0, 1, 2, 3, 10, 50, 100, 200, 250, 254, 255],
                                                quantization: quantization(0.5, 0), output: .uint8,
                                                outputQuantization: quantization(Float(0.5 / 128 / 0.9999), 200))
        #expect(wrapping == [200, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0])
        // An output scale 1000× the input's: the output shift is 16 or more, where gemmlowp's
        // int16 RoundingDivideByPOT gives ±1 for everything, so LiteRT writes zp ± 1, not zp.
        let shifted = try Elementwise.runUnary(Self.prepare, input: .int8, shape: [7], bytes: [UInt8](values: [Int8(-128), -100, -1, 0, 1, 100, 127]),
                                               quantization: quantization(0.001, 0), output: .int8, outputQuantization: quantization(1, 5))
        #expect(shifted.values(as: Int8.self) == [4, 4, 4, 6, 6, 6, 6])
    }

    @Test func refusesWhatTFLiteRefuses() {
        func prepare(_ input: TensorDescription, _ output: TensorDescription) throws(OpError) {
            var context = PrepareContext(inputs: [input], outputs: [output])
            _ = try HardSwish.prepare(&context)
        }
        let good = TensorDescription(type: .int8, shape: [4], quantization: quantization(0.1, 0))
        // The output multiplier must not need a left shift (output scale ≥ input scale / 128).
        #expect(throws: OpError.self) { try prepare(good, TensorDescription(type: .int8, shape: [4], quantization: quantization(0.1 / 200, 0))) }
        #expect(throws: OpError.self) { try prepare(good, TensorDescription(type: .uint8, shape: [4], quantization: quantization(0.1, 0))) }
        #expect(throws: OpError.self) { try prepare(good, TensorDescription(type: .int8, shape: [4], quantization: quantization(0, 0))) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int8, shape: [4]), good) }
        let s16 = TensorDescription(type: .int16, shape: [4], quantization: quantization(0.1, 0))
        #expect(throws: OpError.self) { try prepare(s16, s16) }
    }
}

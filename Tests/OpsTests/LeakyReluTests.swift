import Testing
import Ops
import TFLiteCore

/// activations.cc `LeakyReluPrepare` and reference/leaky_relu.h `QuantizeLeakyRelu`, transliterated.
struct ReferenceQuantizedLeakyRelu {
    let inputOffset: Int32, outputOffset: Int32
    let alpha: QuantizedMultiplier, identity: QuantizedMultiplier
    let quantizedMin: Int32, quantizedMax: Int32

    init(alpha a: Float, _ qi: QuantizationParameters, _ qo: QuantizationParameters, type: DataType) {
        let alphaMultiplier = Double(qi.scales[0] * a / qo.scales[0])
        alpha = QuantizedMultiplier(alphaMultiplier)
        let identityMultiplier = Double(qi.scales[0] / qo.scales[0])
        identity = QuantizedMultiplier(identityMultiplier)
        inputOffset = Int32(qi.zeroPoints[0])
        outputOffset = Int32(qo.zeroPoints[0])
        (quantizedMin, quantizedMax) = type.quantizedRange!
    }

    func callAsFunction(_ x: Int32) -> Int32 {
        let isAlphaNegative = alpha.multiplier < 0
        let safeAlphaMultiplier = isAlphaNegative ? -alpha.multiplier : alpha.multiplier
        let inputValue = x - inputOffset
        var unclampedOutput = outputOffset
        if inputValue >= 0 {
            unclampedOutput += multiplyByQuantizedMultiplier(inputValue, identity.multiplier, identity.shift)
        } else {
            let scaledAlphaValue = multiplyByQuantizedMultiplier(inputValue, safeAlphaMultiplier, alpha.shift)
            unclampedOutput += isAlphaNegative ? -scaledAlphaValue : scaledAlphaValue
        }
        return min(quantizedMax, max(quantizedMin, unclampedOutput))
    }
}

@Suite struct LeakyReluTests {
    static func prepare(_ alpha: Float) -> (inout PrepareContext) throws(OpError) -> any Kernel {
        { (context: inout PrepareContext) throws(OpError) -> any Kernel in try LeakyRelu.prepare(LeakyReluOptions(alpha: alpha), &context) }
    }

    @Test(arguments: [DataType.int8, .uint8])
    func tableMatchesReferenceOnEveryInput(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 51 : 52)
        for _ in 0..<200 {
            let alpha = [0.1, 0.2, 0.01, 0.3333, 1.5, -0.3, 0, Float.random(in: -2...2, using: &rng)].randomElement(using: &rng)!
            let qi = Elementwise.randomQuantization(type, &rng), qo = Elementwise.randomQuantization(type, &rng)
            let reference = ReferenceQuantizedLeakyRelu(alpha: alpha, qi, qo, type: type)
            let output = try Elementwise.runUnary(Self.prepare(alpha), input: type, shape: [256], bytes: Elementwise.allBytes,
                                                  quantization: qi, output: type, outputQuantization: qo)
            #expect(output == Elementwise.allBytes.map { Elementwise.byte(reference(Elementwise.value($0, type))) }, "alpha \(alpha) \(qi) \(qo)")
        }
    }

    @Test func int16MatchesReference() throws {
        var rng = SeededGenerator(seed: 53)
        for alpha: Float in [0.1, -0.3, 0.2] {
            let qi = Elementwise.randomQuantization(.int16, &rng), qo = Elementwise.randomQuantization(.int16, &rng)
            let reference = ReferenceQuantizedLeakyRelu(alpha: alpha, qi, qo, type: .int16)
            let x = (0..<3000).map { _ in Int16.random(in: .min ... .max, using: &rng) }
            let output = try Elementwise.runUnary(Self.prepare(alpha), input: .int16, shape: [3000], bytes: [UInt8](values: x),
                                                  quantization: qi, output: .int16, outputQuantization: qo).values(as: Int16.self)
            #expect(output == x.map { Int16(reference(Int32($0))) })
        }
    }

    @Test func floatMatchesScalarReference() throws {
        let x: [Float] = [-5, -1, -0.5, 0, 0.5, 1, 5, -.infinity]
        for alpha: Float in [0.2, -0.5, 2] {
            let output = try Elementwise.runUnary(Self.prepare(alpha), input: .float32, shape: [x.count], bytes: [UInt8](values: x),
                                                  quantization: nil, output: .float32, outputQuantization: nil).values(as: Float.self)
            #expect(output == x.map { $0 > 0 ? $0 : $0 * alpha })
        }
    }

    @Test func knownValuesFromLiteRT() throws {
        let x: [Int8] = [-128, -100, -60, -30, -10, -1, 0, 1, 10, 30, 60, 100, 127]
        let output = try Elementwise.runUnary(Self.prepare(0.2), input: .int8, shape: [13], bytes: [UInt8](values: x),
                                              quantization: quantization(0.05, -10), output: .int8, outputQuantization: quantization(0.04, -30))
        #expect(output.values(as: Int8.self) == [-60, -53, -43, -35, -30, -19, -17, -16, -5, 20, 58, 108, 127])
    }

    @Test func refusesWhatTFLiteRefuses() {
        func prepare(_ input: TensorDescription, _ output: TensorDescription) throws(OpError) {
            var context = PrepareContext(inputs: [input], outputs: [output])
            _ = try LeakyRelu.prepare(LeakyReluOptions(alpha: 0.2), &context)
        }
        let uint8 = TensorDescription(type: .uint8, shape: [4], quantization: quantization(0.1, 3))
        #expect(throws: OpError.self) { try prepare(uint8, TensorDescription(type: .int8, shape: [4], quantization: quantization(0.1, 0))) }
        #expect(throws: OpError.self) { try prepare(uint8, TensorDescription(type: .uint8, shape: [4], quantization: quantization(-1, 0))) }
        let s16 = TensorDescription(type: .int16, shape: [4], quantization: quantization(0.1, 0))
        #expect(throws: OpError.self) { try prepare(s16, TensorDescription(type: .int16, shape: [4], quantization: quantization(0.1, 5))) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .float16, shape: [4]), TensorDescription(type: .float16, shape: [4])) }
    }
}

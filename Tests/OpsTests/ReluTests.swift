import Testing
import Ops
import TFLiteCore

/// activations.cc `ReluPrepare` + `QuantizedReluX` and reference_ops `ReluX`, transliterated.
struct ReferenceQuantizedRelu {
    let inputOffset: Int32, outputOffset: Int32
    let multiplier: QuantizedMultiplier
    let activationMin: Int32, activationMax: Int32

    init(_ kind: Relu.Kind, _ qi: QuantizationParameters, _ qo: QuantizationParameters, type: DataType) {
        let realMultiplier = Double(qi.scales[0] / qo.scales[0])
        multiplier = QuantizedMultiplier(realMultiplier)
        let (actMin, actMax): (Float, Float) = switch kind {
        case .relu: (0, .infinity)
        case .relu6: (0, 6)
        case .reluN1To1: (-1, 1)
        }
        let (lo, hi) = type.quantizedRange!
        let zo = Int32(qo.zeroPoints[0])
        activationMin = max(lo, zo + Int32((actMin / qo.scales[0]).rounded(.toNearestOrAwayFromZero)))
        activationMax = actMax == .infinity ? hi : min(hi, zo + Int32((actMax / qo.scales[0]).rounded(.toNearestOrAwayFromZero)))
        inputOffset = Int32(qi.zeroPoints[0])
        outputOffset = zo
    }

    func callAsFunction(_ x: Int32) -> Int32 {
        var clamped = outputOffset + multiplyByQuantizedMultiplier(x - inputOffset, multiplier.multiplier, multiplier.shift)
        clamped = max(activationMin, clamped)
        clamped = min(activationMax, clamped)
        return clamped
    }
}

@Suite struct ReluTests {
    static func prepare(_ kind: Relu.Kind) -> (inout PrepareContext) throws(OpError) -> any Kernel {
        { (context: inout PrepareContext) throws(OpError) -> any Kernel in try Relu.prepare(kind, &context) }
    }
    static let kinds: [Relu.Kind] = [.relu, .relu6, .reluN1To1]

    @Test(arguments: [DataType.int8, .uint8])
    func tableMatchesReferenceOnEveryInput(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 41 : 42)
        for _ in 0..<200 {
            let kind = Self.kinds.randomElement(using: &rng)!
            let qi = Elementwise.randomQuantization(type, &rng), qo = Elementwise.randomQuantization(type, &rng)
            let reference = ReferenceQuantizedRelu(kind, qi, qo, type: type)
            let output = try Elementwise.runUnary(Self.prepare(kind), input: type, shape: [4, 64], bytes: Elementwise.allBytes,
                                                  quantization: qi, output: type, outputQuantization: qo)
            #expect(output == Elementwise.allBytes.map { Elementwise.byte(reference(Elementwise.value($0, type))) }, "\(kind) \(qi) \(qo)")
        }
    }

    @Test func int16MatchesReference() throws {
        var rng = SeededGenerator(seed: 43)
        for kind in [Relu.Kind.relu, .relu6] {
            for _ in 0..<20 {
                let qi = Elementwise.randomQuantization(.int16, &rng), qo = Elementwise.randomQuantization(.int16, &rng)
                let reference = ReferenceQuantizedRelu(kind, qi, qo, type: .int16)
                let x = (0..<3000).map { _ in Int16.random(in: .min ... .max, using: &rng) }
                let output = try Elementwise.runUnary(Self.prepare(kind), input: .int16, shape: [3000], bytes: [UInt8](values: x),
                                                      quantization: qi, output: .int16, outputQuantization: qo).values(as: Int16.self)
                #expect(output == x.map { Int16(reference(Int32($0))) })
            }
        }
    }

    @Test func floatClamps() throws {
        let x: [Float] = [-7, -6, -1.5, -1, -0.25, 0, 0.25, 1, 1.5, 6, 7, .infinity, -.infinity, 1e30]
        func run(_ kind: Relu.Kind) throws -> [Float] {
            try Elementwise.runUnary(Self.prepare(kind), input: .float32, shape: [x.count], bytes: [UInt8](values: x), quantization: nil,
                                     output: .float32, outputQuantization: nil).values(as: Float.self)
        }
        #expect(try run(.relu) == x.map { max($0, 0) })
        #expect(try run(.relu6) == x.map { min(max($0, 0), 6) })
        #expect(try run(.reluN1To1) == x.map { min(max($0, -1), 1) })
    }

    @Test func knownValuesFromLiteRT() throws {
        let x: [Int8] = [-128, -100, -60, -30, -10, -1, 0, 1, 10, 30, 60, 100, 127]
        let relu6 = try Elementwise.runUnary(Self.prepare(.relu6), input: .int8, shape: [13], bytes: [UInt8](values: x),
                                             quantization: quantization(0.05, -10), output: .int8, outputQuantization: quantization(0.03, -128))
        #expect(relu6.values(as: Int8.self) == [-128, -128, -128, -128, -128, -113, -111, -110, -95, -61, -11, 55, 72])
        let relu = try Elementwise.runUnary(Self.prepare(.relu), input: .uint8, shape: [13], bytes: x.map { UInt8(Int($0) + 128) },
                                            quantization: quantization(0.05, 100), output: .uint8, outputQuantization: quantization(0.07, 3))
        #expect(relu == [3, 3, 3, 3, 16, 22, 23, 24, 30, 44, 66, 94, 114])
        let n1 = try Elementwise.runUnary(Self.prepare(.reluN1To1), input: .int8, shape: [13], bytes: [UInt8](values: x),
                                          quantization: quantization(0.02, 0), output: .int8, outputQuantization: quantization(0.01, 0))
        #expect(n1.values(as: Int8.self) == [-100, -100, -100, -60, -20, -2, 0, 2, 20, 60, 100, 100, 100])
    }

    @Test func refusesWhatTFLiteRefuses() {
        func prepare(_ kind: Relu.Kind, _ input: TensorDescription, _ output: TensorDescription) throws(OpError) {
            var context = PrepareContext(inputs: [input], outputs: [output])
            _ = try Relu.prepare(kind, &context)
        }
        let int8 = TensorDescription(type: .int8, shape: [4], quantization: quantization(0.1, 0))
        #expect(throws: OpError.self) { try prepare(.relu, int8, TensorDescription(type: .uint8, shape: [4], quantization: quantization(0.1, 0))) }
        #expect(throws: OpError.self) { try prepare(.relu6, int8, TensorDescription(type: .int8, shape: [4], quantization: quantization(0, 0))) }
        #expect(throws: OpError.self) { try prepare(.relu, TensorDescription(type: .int8, shape: [4]), int8) }
        // INT16: zero points must be 0, and RELU_N1_TO_1 has no INT16 kernel.
        let s16 = TensorDescription(type: .int16, shape: [4], quantization: quantization(0.1, 0))
        #expect(throws: OpError.self) { try prepare(.relu, s16, TensorDescription(type: .int16, shape: [4], quantization: quantization(0.1, 3))) }
        #expect(throws: OpError.self) { try prepare(.reluN1To1, s16, s16) }
        #expect(throws: OpError.self) { try prepare(.relu, TensorDescription(type: .int32, shape: [4]), TensorDescription(type: .int32, shape: [4])) }
    }
}

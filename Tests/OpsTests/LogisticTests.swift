#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import Ops
import TFLiteCore

@Suite struct LogisticTests {
    static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel { try Logistic.prepare(&context) }

    /// common.h `LUTPopulateInt8` with activations.cc's transform `1.0f / (1.0f + std::exp(-value))`,
    /// transliterated: the table TFLite's kReference LOGISTIC looks 8-bit inputs up in.
    static func lutEntry(_ x: Int32, _ qi: QuantizationParameters, _ qo: QuantizationParameters, type: DataType) -> Int32 {
        let inverseScale = 1 / qo.scales[0]
        let (minval, maxval) = type.quantizedRange!
        let dequantized = qi.scales[0] * Float(x - Int32(qi.zeroPoints[0]))
        let transformed = 1.0 / (1.0 + expf(-dequantized))
        let rescaled = (transformed * inverseScale).rounded(.toNearestOrAwayFromZero)
        let quantized = Int32(rescaled + Float(qo.zeroPoints[0]))
        return max(min(maxval, quantized), minval)
    }

    @Test(arguments: [DataType.int8, .uint8])
    func tableMatchesReferenceOnEveryInput(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 61 : 62)
        let outputZeroPoint: Int64 = type == .int8 ? -128 : 0
        for _ in 0..<200 {
            let qi = Elementwise.randomQuantization(type, &rng, scales: 1e-3...1)
            let qo = quantization(1.0 / 256, outputZeroPoint)
            let output = try Elementwise.runUnary(Self.prepare, input: type, shape: [2, 128], bytes: Elementwise.allBytes,
                                                  quantization: qi, output: type, outputQuantization: qo)
            #expect(output == Elementwise.allBytes.map { Elementwise.byte(Self.lutEntry(Elementwise.value($0, type), qi, qo, type: type)) })
        }
    }

    @Test func floatMatchesReferenceWithItsCutoffs() throws {
        var rng = SeededGenerator(seed: 63)
        let x = (0..<4000).map { _ in Float.random(in: -20...20, using: &rng) } + [-9, -9.0001, 16.619047, 16.62, 0, .infinity, -.infinity]
        let output = try Elementwise.runUnary(Self.prepare, input: .float32, shape: [x.count], bytes: [UInt8](values: x),
                                              quantization: nil, output: .float32, outputQuantization: nil).values(as: Float.self)
        for (i, v) in x.enumerated() {
            let expected: Float = v > 16.619047164916992188 ? 1 : v < -9 ? expf(v) : 1 / (1 + expf(-v))
            #expect(output[i] == expected)
            #expect(abs(output[i] - Float(1 / (1 + exp(-Double(v))))) <= 1e-6 || v.isInfinite)
        }
    }

    @Test func knownValuesFromLiteRT() throws {
        let x: [Int8] = [-128, -100, -60, -30, -10, -1, 0, 1, 10, 30, 60, 100, 127]
        let int8 = try Elementwise.runUnary(Self.prepare, input: .int8, shape: [13], bytes: [UInt8](values: x), quantization: quantization(0.1, -5),
                                            output: .int8, outputQuantization: quantization(1.0 / 256, -128))
        #expect(int8.values(as: Int8.self) == [-128, -128, -127, -109, -31, 25, 31, 37, 81, 120, 127, 127, 127])
        let uint8 = try Elementwise.runUnary(Self.prepare, input: .uint8, shape: [13], bytes: x.map { UInt8(Int($0) + 128) },
                                             quantization: quantization(0.07, 130), output: .uint8, outputQuantization: quantization(1.0 / 256, 0))
        #expect(uint8 == [0, 0, 3, 25, 77, 115, 119, 124, 163, 224, 252, 255, 255])
    }

    @Test func refusesWhatTFLiteRefuses() {
        func prepare(_ input: TensorDescription, _ output: TensorDescription) throws(OpError) {
            var context = PrepareContext(inputs: [input], outputs: [output])
            _ = try Logistic.prepare(&context)
        }
        let int8 = TensorDescription(type: .int8, shape: [4], quantization: quantization(0.1, 0))
        // 8-bit outputs must have the scale 1/256 exactly.
        #expect(throws: OpError.self) { try prepare(int8, TensorDescription(type: .int8, shape: [4], quantization: quantization(1.0 / 255, -128))) }
        #expect(throws: OpError.self) { try prepare(int8, TensorDescription(type: .uint8, shape: [4], quantization: quantization(1.0 / 256, 0))) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int8, shape: [4], quantization: quantization(0, 0)),
                                                    TensorDescription(type: .int8, shape: [4], quantization: quantization(1.0 / 256, -128))) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int32, shape: [4]), TensorDescription(type: .int32, shape: [4])) }
    }
}

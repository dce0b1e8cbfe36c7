import Testing
import Ops
import TFLiteCore

@Suite struct DequantizeTests {
    static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel { try Dequantize.prepare(&context) }

    /// reference Dequantize: `static_cast<float>(scale * (val - zero_point))` with `scale` a double.
    static func dequantize(_ x: Int32, _ q: QuantizationParameters) -> Float {
        let scale = Double(q.scales[0])
        return Float(scale * Double(x - Int32(q.zeroPoints[0])))
    }

    @Test(arguments: [DataType.int8, .uint8])
    func tableMatchesReferenceOnEveryInput(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 101 : 102)
        for _ in 0..<200 {
            let q = Elementwise.randomQuantization(type, &rng, scales: 1e-6...100)
            let output = try Elementwise.runUnary(Self.prepare, input: type, shape: [16, 16], bytes: Elementwise.allBytes, quantization: q,
                                                  output: .float32, outputQuantization: nil).values(as: Float.self)
            let expected = Elementwise.allBytes.map { Self.dequantize(Elementwise.value($0, type), q) }
            #expect(output.map(\.bitPattern) == expected.map(\.bitPattern))
        }
    }

    /// LiteRT's values. (The reference multiplies in double, but for 8- and 16-bit inputs the
    /// product is exact in double, so rounding it once to float equals the float product.)
    @Test func knownValuesFromLiteRT() throws {
        let x: [Int8] = [-128, -100, -60, -30, -10, -1, 0, 1, 10, 30, 60, 100, 127]
        let output = try Elementwise.runUnary(Self.prepare, input: .int8, shape: [13], bytes: [UInt8](values: x), quantization: quantization(0.1, -3),
                                              output: .float32, outputQuantization: nil).values(as: Float.self)
        let expected: [Double] = [-12.5, -9.699999809265137, -5.700000286102295, -2.700000047683716, -0.699999988079071, 0.20000000298023224,
                                  0.30000001192092896, 0.4000000059604645, 1.3000000715255737, 3.299999952316284, 6.300000190734863,
                                  10.300000190734863, 13.0]
        #expect(output == expected.map { Float($0) })
    }

    @Test func int16MatchesReference() throws {
        var rng = SeededGenerator(seed: 103)
        let q = quantization(Elementwise.randomScale(&rng), 0)
        let x = (0..<5000).map { _ in Int16.random(in: .min ... .max, using: &rng) } + [.min, .max, 0]
        let output = try Elementwise.runUnary(Self.prepare, input: .int16, shape: [x.count], bytes: [UInt8](values: x), quantization: q,
                                              output: .float32, outputQuantization: nil, threads: 2).values(as: Float.self)
        #expect(output.map(\.bitPattern) == x.map { Self.dequantize(Int32($0), q).bitPattern })
    }

    /// reference `PerChannelDequantize`: `scale[c] * (val - zero_point[c])` in float.
    @Test(arguments: [DataType.int8, .uint8])
    func perChannelMatchesReference(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 104 : 105)
        for _ in 0..<30 {
            let shape = DataMovement.randomShape(rank: Int.random(in: 1...4, using: &rng), maxDim: 6, &rng)
            let dimension = Int.random(in: 0..<shape.count, using: &rng)
            let channels = shape[dimension]
            let scales = (0..<channels).map { _ in Elementwise.randomScale(&rng) }
            let zeroPoints: [Int64] = (0..<channels).map { _ in type == .int8 ? Int64.random(in: -10...10, using: &rng) : Int64.random(in: 0...255, using: &rng) }
            let q = QuantizationParameters(scales: scales, zeroPoints: Bool.random(using: &rng) ? zeroPoints : [zeroPoints[0]], quantizedDimension: dimension)
            let bytes = DataMovement.randomBytes(shape.reduce(1, *), &rng)
            let output = try Elementwise.runUnary(Self.prepare, input: type, shape: shape, bytes: bytes, quantization: q,
                                                  output: .float32, outputQuantization: nil).values(as: Float.self)
            let expected = bytes.indices.map { i -> Float in
                let c = DataMovement.index(i, in: shape)[dimension]
                let zeroPoint = Int32(q.zeroPoints.count == 1 ? q.zeroPoints[0] : q.zeroPoints[c])
                return scales[c] * Float(Elementwise.value(bytes[i], type) - zeroPoint)
            }
            #expect(output.map(\.bitPattern) == expected.map(\.bitPattern), "\(shape) along \(dimension)")
        }
    }

    /// Every binary16 bit pattern converts exactly (Swift's own Float16 as the reference where
    /// the platform has it; NaNs compared as NaNs).
    @Test func float16ConvertsEveryBitPatternExactly() throws {
        let halves = (0...0xFFFF).map { UInt16($0) }
        let output = try Elementwise.runUnary(Self.prepare, input: .float16, shape: [halves.count], bytes: [UInt8](values: halves), quantization: nil,
                                              output: .float32, outputQuantization: nil, threads: 2).values(as: Float.self)
        #if !(os(macOS) && arch(x86_64))
        for (h, f) in zip(halves, output) {
            let expected = Float(Float16(bitPattern: h))
            #expect(expected.isNaN ? f.isNaN : f.bitPattern == expected.bitPattern, "0x\(String(h, radix: 16))")
        }
        #endif
        #expect(output[0x3C00] == 1 && output[0xC000] == -2 && output[0x0001] == 0x1p-24 && output[0x7BFF] == 65504)
        #expect(output[0x7C00] == .infinity && output[0xFC00] == -.infinity && output[0x8000].bitPattern == 0x8000_0000)
    }

    @Test func refusesWhatTFLiteRefuses() {
        func prepare(_ input: TensorDescription, _ output: TensorDescription) throws(OpError) {
            var context = PrepareContext(inputs: [input], outputs: [output])
            _ = try Dequantize.prepare(&context)
        }
        let f = TensorDescription(type: .float32, shape: [])
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int8, shape: [4], quantization: quantization(0.1, 0)), TensorDescription(type: .float16, shape: [])) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int8, shape: [4]), f) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int8, shape: [4], quantization: quantization(0, 0)), f) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int16, shape: [4], quantization: quantization(0.1, 1)), f) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .float32, shape: [4]), f) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int32, shape: [4], quantization: quantization(0.1, 0)), f) }
        let perChannel16 = QuantizationParameters(scales: [0.1, 0.2], zeroPoints: [0, 0], quantizedDimension: 0)
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int16, shape: [2, 2], quantization: perChannel16), f) }
        let mismatched = QuantizationParameters(scales: [0.1, 0.2, 0.3], zeroPoints: [0, 0], quantizedDimension: 0)
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int8, shape: [3, 2], quantization: mismatched), f) }
    }
}

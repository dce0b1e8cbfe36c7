import Testing
import Ops
import TFLiteCore

@Suite struct QuantizeTests {
    static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel { try Quantize.prepare(&context) }

    /// reference/quantize.h `AffineQuantize` for one element: `(int32)TfLiteRound(val / (float)scale) + zero_point`,
    /// clamped — with x86's conversion of out-of-range floats (Int32.min) and a wrapping addition.
    static func affineQuantize(_ x: Float, scale: Float, zeroPoint: Int32, type: DataType) -> Int32 {
        let rounded = (x / scale).rounded(.toNearestOrAwayFromZero)
        let converted = rounded >= -2_147_483_648 && rounded < 2_147_483_648 ? Int32(rounded) : Int32.min
        let (lo, hi) = type.quantizedRange!
        return min(max(converted &+ zeroPoint, lo), hi)
    }

    /// reference/requantize.h `Requantize` for one element, the multiplier as quantize.cc computes it.
    static func requantize(_ x: Int32, _ qi: QuantizationParameters, _ qo: QuantizationParameters, type: DataType) -> Int32 {
        let multiplier = QuantizedMultiplier(Double(qi.scales[0]) / Double(qo.scales[0]))
        let output = multiplyByQuantizedMultiplier(x - Int32(qi.zeroPoints[0]), multiplier.multiplier, multiplier.shift) + Int32(qo.zeroPoints[0])
        let (lo, hi) = type.quantizedRange!
        return max(min(output, hi), lo)
    }

    static func outputValues(_ bytes: [UInt8], _ type: DataType) -> [Int32] {
        type == .int16 ? bytes.values(as: Int16.self).map(Int32.init) : bytes.map { Elementwise.value($0, type) }
    }

    @Test(arguments: [DataType.int8, .uint8, .int16])
    func floatMatchesAffineQuantize(type: DataType) throws {
        var rng = SeededGenerator(seed: UInt64(81 + type.rawValue))
        for _ in 0..<100 {
            let q = Elementwise.randomQuantization(type, &rng)
            let scale = q.scales[0], zeroPoint = Int32(q.zeroPoints[0])
            // Random values, exact ties (k + ½)·scale, and values far outside the range.
            let x: [Float] = (0..<200).map { i in
                switch i % 4 {
                case 0: Float.random(in: -300...300, using: &rng) * scale
                case 1: (Float(Int.random(in: -40000...40000, using: &rng)) + 0.5) * scale
                case 2: Float.random(in: -3...3, using: &rng)
                default: [Float.infinity, -.infinity, .nan, 1e30, -1e30, 3e9, -3e9, 0, -0.0].randomElement(using: &rng)!
                }
            }
            let output = try Elementwise.runUnary(Self.prepare, input: .float32, shape: [200], bytes: [UInt8](values: x), quantization: nil,
                                                  output: type, outputQuantization: q)
            #expect(Self.outputValues(output, type) == x.map { Self.affineQuantize($0, scale: scale, zeroPoint: zeroPoint, type: type) })
        }
    }

    @Test(arguments: [DataType.int8, .uint8, .int16])
    func perChannelMatchesPerChannelQuantize(type: DataType) throws {
        var rng = SeededGenerator(seed: UInt64(85 + type.rawValue))
        for _ in 0..<30 {
            let shape = DataMovement.randomShape(rank: Int.random(in: 1...4, using: &rng), maxDim: 5, &rng)
            let dimension = Int.random(in: 0..<shape.count, using: &rng)
            let channels = shape[dimension]
            let scales = (0..<channels).map { _ in Elementwise.randomScale(&rng) }
            let (lo, hi) = type.quantizedRange!
            let zeroPoints: [Int64] = Bool.random(using: &rng) ? [type == .int16 ? 0 : Int64.random(in: Int64(lo)...Int64(hi), using: &rng)]
                : (0..<channels).map { _ in Int64.random(in: -20...20, using: &rng) }
            let q = QuantizationParameters(scales: scales, zeroPoints: zeroPoints, quantizedDimension: dimension)
            let count = shape.reduce(1, *)
            let x = (0..<count).map { _ in Float.random(in: -200...200, using: &rng) * scales[0] }
            let output = try Elementwise.runUnary(Self.prepare, input: .float32, shape: shape, bytes: [UInt8](values: x), quantization: nil,
                                                  output: type, outputQuantization: q)
            let expected = x.indices.map { i -> Int32 in
                let c = DataMovement.index(i, in: shape)[dimension]
                return Self.affineQuantize(x[i], scale: scales[c], zeroPoint: Int32(zeroPoints.count == 1 ? zeroPoints[0] : zeroPoints[c]), type: type)
            }
            #expect(Self.outputValues(output, type) == expected, "\(shape) along \(dimension)")
        }
    }

    @Test(arguments: [(DataType.int8, DataType.int8), (.int8, .uint8), (.int8, .int16), (.uint8, .int8), (.uint8, .uint8), (.uint8, .int16)])
    func requantizationTableMatchesReferenceOnEveryInput(types: (DataType, DataType)) throws {
        let (inputType, outputType) = types
        var rng = SeededGenerator(seed: UInt64(90 + inputType.rawValue * 3 + outputType.rawValue))
        for round in 0..<100 {
            let qi = Elementwise.randomQuantization(inputType, &rng)
            var qo = Elementwise.randomQuantization(outputType, &rng)
            if round == 0 && outputType != .int16 {
                // The same scale and a zero point 128 apart: TFLite's XOR 0x80 fast path.
                qo = QuantizationParameters(scales: qi.scales, zeroPoints: [qi.zeroPoints[0] + (inputType == .int8 ? 128 : -128)])
                if outputType == inputType { qo.zeroPoints[0] = qi.zeroPoints[0] }
            }
            let output = try Elementwise.runUnary(Self.prepare, input: inputType, shape: [256], bytes: Elementwise.allBytes, quantization: qi,
                                                  output: outputType, outputQuantization: qo)
            let expected = Elementwise.allBytes.map { Self.requantize(Elementwise.value($0, inputType), qi, qo, type: outputType) }
            #expect(Self.outputValues(output, outputType) == expected, "\(qi) → \(qo)")
        }
    }

    @Test(arguments: [DataType.int8, .int16])
    func int16RequantizationMatchesReference(outputType: DataType) throws {
        var rng = SeededGenerator(seed: 97)
        for _ in 0..<20 {
            let qi = Elementwise.randomQuantization(.int16, &rng), qo = Elementwise.randomQuantization(outputType, &rng)
            let x = (0..<2000).map { _ in Int16.random(in: .min ... .max, using: &rng) }
            let output = try Elementwise.runUnary(Self.prepare, input: .int16, shape: [2000], bytes: [UInt8](values: x), quantization: qi,
                                                  output: outputType, outputQuantization: qo)
            #expect(Self.outputValues(output, outputType) == x.map { Self.requantize(Int32($0), qi, qo, type: outputType) })
        }
    }

    /// LiteRT 2.3.0's reference QUANTIZE on x86-64, out-of-range values and NaN included: they
    /// convert to Int32.min, so +∞ becomes the minimum with a zero point of 0 and the maximum
    /// with a negative one (the addition wraps).
    @Test func knownValuesFromLiteRT() throws {
        let x: [Float] = [-1e30, -300.7, -2.5, -1.5, -0.5, -0.49999997, 0, 0.5, 1.5, 2.5, 126.5, 127.49, 300, 1e30, .infinity, -.infinity]
        func run(_ type: DataType, _ q: QuantizationParameters) throws -> [Int32] {
            Self.outputValues(try Elementwise.runUnary(Self.prepare, input: .float32, shape: [x.count], bytes: [UInt8](values: x), quantization: nil,
                                                       output: type, outputQuantization: q), type)
        }
        #expect(try run(.int8, quantization(1, 0)) == [-128, -128, -3, -2, -1, 0, 0, 1, 2, 3, 127, 127, 127, -128, -128, -128])
        #expect(try run(.int8, quantization(1, -5)) == [127, -128, -8, -7, -6, -5, -5, -4, -3, -2, 122, 122, 127, 127, 127, 127])
        #expect(try run(.uint8, quantization(0.5, 10)) == [0, 0, 5, 7, 9, 9, 10, 11, 13, 15, 255, 255, 255, 0, 0, 0])
        #expect(try run(.int16, quantization(0.01, 0)) == [-32768, -30070, -250, -150, -50, -50, 0, 50, 150, 250, 12650, 12749, 30000, -32768, -32768, -32768])
        let x8: [Int8] = [-128, -100, -60, -30, -10, -1, 0, 1, 10, 30, 60, 100, 127]
        let toUInt8 = try Elementwise.runUnary(Self.prepare, input: .int8, shape: [13], bytes: [UInt8](values: x8), quantization: quantization(0.1, -3),
                                               output: .uint8, outputQuantization: quantization(0.1, 125))
        #expect(toUInt8 == [0, 28, 68, 98, 118, 127, 128, 129, 138, 158, 188, 228, 255])
        let toInt8 = try Elementwise.runUnary(Self.prepare, input: .int8, shape: [13], bytes: [UInt8](values: x8), quantization: quantization(0.1, -3),
                                              output: .int8, outputQuantization: quantization(0.07, 9))
        #expect(toInt8.values(as: Int8.self) == [-128, -128, -72, -30, -1, 12, 13, 15, 28, 56, 99, 127, 127])
    }

    @Test func refusesWhatTFLiteRefuses() {
        func prepare(_ input: TensorDescription, _ output: TensorDescription) throws(OpError) {
            var context = PrepareContext(inputs: [input], outputs: [output])
            _ = try Quantize.prepare(&context)
        }
        let float = TensorDescription(type: .float32, shape: [2, 3])
        #expect(throws: OpError.self) { try prepare(float, TensorDescription(type: .int8, shape: [2, 3])) }
        #expect(throws: OpError.self) { try prepare(float, TensorDescription(type: .float32, shape: [2, 3], quantization: quantization(0.1, 0))) }
        #expect(throws: OpError.self) { try prepare(float, TensorDescription(type: .int8, shape: [2, 3], quantization: quantization(0, 0))) }
        #expect(throws: OpError.self) { try prepare(float, TensorDescription(type: .int32, shape: [2, 3], quantization: quantization(0.1, 0))) }
        // Per-channel parameters that do not fit the shape.
        let threeScales = QuantizationParameters(scales: [0.1, 0.2, 0.3], zeroPoints: [0, 0, 0], quantizedDimension: 0)
        #expect(throws: OpError.self) { try prepare(float, TensorDescription(type: .int8, shape: [2, 3], quantization: threeScales)) }
        let badDimension = QuantizationParameters(scales: [0.1, 0.2, 0.3], zeroPoints: [0], quantizedDimension: 2)
        #expect(throws: OpError.self) { try prepare(float, TensorDescription(type: .int8, shape: [2, 3], quantization: badDimension)) }
        // Requantization: INT16 → INT16 needs zero points of 0; INT16 → UINT8 and per-channel are not kernels.
        let s16 = TensorDescription(type: .int16, shape: [4], quantization: quantization(0.1, 0))
        #expect(throws: OpError.self) { try prepare(s16, TensorDescription(type: .int16, shape: [4], quantization: quantization(0.1, 2))) }
        #expect(throws: OpError.self) { try prepare(s16, TensorDescription(type: .uint8, shape: [4], quantization: quantization(0.1, 2))) }
        let int8 = TensorDescription(type: .int8, shape: [3], quantization: quantization(0.1, 0))
        #expect(throws: OpError.self) { try prepare(int8, TensorDescription(type: .int8, shape: [3], quantization: threeScales)) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int8, shape: [3]), int8) }
    }
}

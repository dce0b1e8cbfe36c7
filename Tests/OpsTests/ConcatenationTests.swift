import Testing
import Ops
import TFLiteCore

@Suite struct ConcatenationTests {
    /// Scalar reference: output element i along `axis` comes from the input whose range of that
    /// axis holds it.
    static func reference(_ inputs: [[UInt8]], shapes: [[Int]], axis: Int, size: Int) -> (shape: [Int], bytes: [UInt8]) {
        var outShape = shapes[0]
        outShape[axis] = shapes.map { $0[axis] }.reduce(0, +)
        var out: [UInt8] = []
        for o in 0..<outShape.reduce(1, *) {
            var j = DataMovement.index(o, in: outShape)
            var k = 0
            while j[axis] >= shapes[k][axis] {
                j[axis] -= shapes[k][axis]
                k += 1
            }
            out += DataMovement.element(inputs[k], DataMovement.offset(j, in: shapes[k]), size: size)
        }
        return (outShape, out)
    }

    /// LiteRT's reference ConcatenationWithScaling for one quantized value.
    static func requantize(_ x: Int32, inputScale: Float, inputZeroPoint: Int32, outputScale: Float, outputZeroPoint: Int32,
                           range: ClosedRange<Int32>) -> Int32 {
        let inverseOutputScale: Float = 1 / outputScale
        let scale: Float = inputScale * inverseOutputScale
        let bias: Float = Float(-inputZeroPoint) * scale
        let value = Int32((Float(x) * scale + bias).rounded(.toNearestOrAwayFromZero)) + outputZeroPoint
        return min(max(value, range.lowerBound), range.upperBound)
    }

    static func run(_ type: DataType, _ inputs: [(shape: [Int], bytes: [UInt8], q: QuantizationParameters?)],
                    options: ConcatenationOptions, outputQuantization: QuantizationParameters? = nil,
                    outputType: DataType? = nil) throws(OpError) -> (shape: [Int], bytes: [UInt8]) {
        var outputs: [TensorDescription] = []
        let out = try KernelHarness.run(inputs: inputs.map { .bytes(type, $0.shape, $0.bytes, quantization: $0.q) },
                                        outputs: [TensorDescription(type: outputType ?? type, shape: [], quantization: outputQuantization)]) { (c: inout PrepareContext) throws(OpError) in
            let kernel = try Concatenation.prepare(options, &c)
            outputs = c.outputs
            return kernel
        }
        return (outputs[0].shape, out[0])
    }

    @Test func knownValues() throws {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6]
        let out = try Self.run(.float32, [([2, 2], a.withUnsafeBytes { Array($0) }, nil), ([2, 1], b.withUnsafeBytes { Array($0) }, nil)],
                               options: ConcatenationOptions(axis: -1))
        #expect(out.shape == [2, 3])
        #expect(out.bytes.values(as: Float.self) == [1, 2, 5, 3, 4, 6])
    }

    @Test func floatFusedActivationClamps() throws {
        let a: [Float] = [-2, 0.5, 7, 3], b: [Float] = [-0.5, 6.5]
        let out = try Self.run(.float32, [([4], a.withUnsafeBytes { Array($0) }, nil), ([2], b.withUnsafeBytes { Array($0) }, nil)],
                               options: ConcatenationOptions(axis: 0, activation: .relu6))
        #expect(out.bytes.values(as: Float.self) == [0, 0.5, 6, 3, 0, 6])
    }

    @Test func randomConcatenationsMatchTheReference() throws {
        var rng = SeededGenerator(seed: 0xC0CA7)
        for _ in 0..<300 {
            let rank = Int.random(in: 1...6, using: &rng)
            let base = DataMovement.randomShape(rank: rank, maxDim: rank > 4 ? 3 : 5, &rng)
            let axis = Int.random(in: 0..<rank, using: &rng)
            let count = Int.random(in: 1...4, using: &rng)
            let type = DataMovement.typesBySize.randomElement(using: &rng) ?? .float32
            let size = type.byteSize ?? 1
            var shapes: [[Int]] = [], inputs: [[UInt8]] = []
            for _ in 0..<count {
                var shape = base
                shape[axis] = Int.random(in: 0...4, using: &rng)
                shapes.append(shape)
                inputs.append(DataMovement.randomBytes(shape.reduce(1, *) * size, &rng))
            }
            let q = quantization(0.1, 3)
            let quantized = type == .int8 || type == .uint8
            let expected = Self.reference(inputs, shapes: shapes, axis: axis, size: size)
            let got = try Self.run(type, zip(shapes, inputs).map { ($0, $1, quantized ? q : nil) },
                                   options: ConcatenationOptions(axis: Bool.random(using: &rng) ? axis : axis - rank),
                                   outputQuantization: quantized ? q : nil)
            #expect(got.shape == expected.shape)
            #expect(got.bytes == expected.bytes, "\(type.schemaName) \(shapes) axis \(axis)")
        }
    }

    /// Inputs with other scales or zero points than the output's are requantized per input,
    /// exactly as the reference formula; inputs that match are copied.
    @Test(arguments: [DataType.uint8, .int8])
    func requantizationMatchesConcatenationWithScaling(type: DataType) throws {
        var rng = SeededGenerator(seed: 0x5CA1E + UInt64(type.rawValue))
        let range: ClosedRange<Int32> = type == .int8 ? -128...127 : 0...255
        for _ in 0..<40 {
            let outputScale = Float.random(in: 0.001...0.5, using: &rng)
            let outputZeroPoint = Int32.random(in: range, using: &rng)
            let shapes = [[2, Int.random(in: 1...5, using: &rng), 3], [2, Int.random(in: 1...5, using: &rng), 3], [2, 2, 3]]
            var inputs: [(shape: [Int], bytes: [UInt8], q: QuantizationParameters?)] = []
            var expectedInputs: [[UInt8]] = []
            for (k, shape) in shapes.enumerated() {
                let bytes = DataMovement.randomBytes(shape.reduce(1, *), &rng)
                let same = k == 2
                let scale = same ? outputScale : Float.random(in: 0.001...0.5, using: &rng)
                let zeroPoint = same ? outputZeroPoint : Int32.random(in: range, using: &rng)
                inputs.append((shape, bytes, quantization(scale, Int64(zeroPoint))))
                expectedInputs.append(bytes.map { byte in
                    let x = type == .int8 ? Int32(Int8(bitPattern: byte)) : Int32(byte)
                    let y = same ? x : Self.requantize(x, inputScale: scale, inputZeroPoint: zeroPoint, outputScale: outputScale,
                                                       outputZeroPoint: outputZeroPoint, range: range)
                    return UInt8(truncatingIfNeeded: y)
                })
            }
            let got = try Self.run(type, inputs, options: ConcatenationOptions(axis: 1),
                                   outputQuantization: quantization(outputScale, Int64(outputZeroPoint)))
            #expect(got.bytes == Self.reference(expectedInputs, shapes: shapes, axis: 1, size: 1).bytes)
        }
    }

    /// A hand-computed UINT8 case: scale 0.5 → 0.25 doubles, zero point 10 → 0.
    @Test func uint8KnownRequantization() throws {
        let out = try Self.run(.uint8, [([3], [10, 11, 200], quantization(0.5, 10)), ([1], [7], quantization(0.25, 0))],
                               options: ConcatenationOptions(axis: 0), outputQuantization: quantization(0.25, 0))
        #expect(out.bytes == [0, 2, 255, 7])
    }

    @Test func invalidConcatenationsAreErrors() {
        let a = ([2, 2], [UInt8](repeating: 0, count: 16), QuantizationParameters?.none)
        let b = ([2, 3], [UInt8](repeating: 0, count: 24), QuantizationParameters?.none)
        // Axis out of range; shapes that differ outside the axis; ranks that differ.
        #expect(throws: OpError.self) { try Self.run(.float32, [a, a], options: ConcatenationOptions(axis: 2)) }
        #expect(throws: OpError.self) { try Self.run(.float32, [a, a], options: ConcatenationOptions(axis: -3)) }
        #expect(throws: OpError.self) { try Self.run(.float32, [a, b], options: ConcatenationOptions(axis: 0)) }
        #expect(throws: OpError.self) { try Self.run(.float32, [a, ([4], [UInt8](repeating: 0, count: 16), nil)], options: ConcatenationOptions(axis: 0)) }
        // Output type; an activation on a non-float type; TANH.
        #expect(throws: OpError.self) { try Self.run(.float32, [a, a], options: ConcatenationOptions(axis: 0), outputType: .int32) }
        #expect(throws: OpError.self) { try Self.run(.int32, [a, a], options: ConcatenationOptions(axis: 0, activation: .relu)) }
        #expect(throws: OpError.self) { try Self.run(.float32, [a, a], options: ConcatenationOptions(axis: 0, activation: .tanh)) }
        // Requantization needs valid scales.
        #expect(throws: OpError.self) {
            try Self.run(.uint8, [([2], [1, 2], quantization(0.5, 0)), ([2], [1, 2], quantization(0.5, 0))],
                         options: ConcatenationOptions(axis: 0), outputQuantization: quantization(0, 0))
        }
    }
}

import Testing
import Ops
import TFLiteCore

@Suite struct PackTests {
    /// Scalar reference: output index i reads input i[axis] at i without its axis entry.
    static func reference(_ inputs: [[UInt8]], shape: [Int], axis: Int, size: Int) -> (shape: [Int], bytes: [UInt8]) {
        var outShape = shape
        outShape.insert(inputs.count, at: axis)
        var out: [UInt8] = []
        for o in 0..<outShape.reduce(1, *) {
            var j = DataMovement.index(o, in: outShape)
            let k = j.remove(at: axis)
            out += DataMovement.element(inputs[k], DataMovement.offset(j, in: shape), size: size)
        }
        return (outShape, out)
    }

    static func run(_ type: DataType, _ shape: [Int], _ inputs: [[UInt8]], axis: Int, valuesCount: Int? = nil,
                    quantizations: [QuantizationParameters?]? = nil, outputQuantization: QuantizationParameters? = nil,
                    shapes: [[Int]]? = nil) throws(OpError) -> (shape: [Int], bytes: [UInt8]) {
        var outputs: [TensorDescription] = []
        let harnessInputs: [KernelHarness.Input?] = inputs.indices.map { k in
            .bytes(type, shapes?[k] ?? shape, inputs[k], quantization: quantizations?[k])
        }
        let out = try KernelHarness.run(inputs: harnessInputs,
                                        outputs: [TensorDescription(type: type, shape: [], quantization: outputQuantization)]) { (c: inout PrepareContext) throws(OpError) in
            let kernel = try Pack.prepare(PackOptions(valuesCount: valuesCount ?? inputs.count, axis: axis), &c)
            outputs = c.outputs
            return kernel
        }
        return (outputs[0].shape, out[0])
    }

    /// The dynamic-batch pattern: PACK of scalars [batch, −1] into a shape vector.
    @Test func scalarsIntoAShapeVector() throws {
        let out = try Self.run(.int32, [], [withUnsafeBytes(of: Int32(5)) { Array($0) }, withUnsafeBytes(of: Int32(-1)) { Array($0) }], axis: 0)
        #expect(out.shape == [2])
        #expect(out.bytes.values(as: Int32.self) == [5, -1])
    }

    @Test func knownValues() throws {
        let a: [Float] = [1, 2, 3], b: [Float] = [4, 5, 6]
        let out = try Self.run(.float32, [3], [a.withUnsafeBytes { Array($0) }, b.withUnsafeBytes { Array($0) }], axis: -1)
        #expect(out.shape == [3, 2])
        #expect(out.bytes.values(as: Float.self) == [1, 4, 2, 5, 3, 6])
    }

    @Test func randomPacksMatchTheReference() throws {
        var rng = SeededGenerator(seed: 0xBAC4)
        for _ in 0..<300 {
            let rank = Int.random(in: 0...4, using: &rng)
            let shape = DataMovement.randomShape(rank: rank, maxDim: 4, &rng)
            let axis = Int.random(in: 0...rank, using: &rng)
            let count = Int.random(in: 1...4, using: &rng)
            let type = DataMovement.typesBySize.randomElement(using: &rng) ?? .float32
            let size = type.byteSize ?? 1
            let inputs = (0..<count).map { _ in DataMovement.randomBytes(shape.reduce(1, *) * size, &rng) }
            let q: QuantizationParameters? = type == .int8 || type == .uint8 ? quantization(0.3, 2) : nil
            let got = try Self.run(type, shape, inputs, axis: Bool.random(using: &rng) ? axis : axis - rank - 1,
                                   quantizations: Array(repeating: q, count: count), outputQuantization: q)
            let expected = Self.reference(inputs, shape: shape, axis: axis, size: size)
            #expect(got.shape == expected.shape)
            #expect(got.bytes == expected.bytes, "\(type.schemaName) \(shape) axis \(axis) × \(count)")
        }
    }

    @Test func invalidPacksAreErrors() {
        let x = [UInt8](repeating: 0, count: 8)
        // Axis out of range (either side); values_count that disagrees with the inputs.
        #expect(throws: OpError.self) { try Self.run(.float32, [2], [x, x], axis: 2) }
        #expect(throws: OpError.self) { try Self.run(.float32, [2], [x, x], axis: -3) }
        #expect(throws: OpError.self) { try Self.run(.float32, [2], [x, x], axis: 0, valuesCount: 3) }
        // Shapes that differ.
        #expect(throws: OpError.self) { try Self.run(.float32, [2], [x, x], axis: 0, shapes: [[2], [1, 2]]) }
        // Quantization that differs from the output's.
        #expect(throws: OpError.self) {
            try Self.run(.int8, [2], [[1, 2], [3, 4]], axis: 0, quantizations: [quantization(0.5, 1), quantization(0.5, 2)],
                         outputQuantization: quantization(0.5, 1))
        }
    }
}

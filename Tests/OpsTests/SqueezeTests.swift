import Testing
import Ops
import TFLiteCore

@Suite struct SqueezeTests {
    static func run(_ shape: [Int], dims: [Int], type: DataType = .float32) throws(OpError) -> (shape: [Int], bytes: [UInt8]) {
        let size = type.byteSize ?? 1
        let bytes = (0..<(shape.reduce(1, *) * size)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var outputs: [TensorDescription] = []
        let out = try KernelHarness.run(inputs: [.bytes(type, shape, bytes)], outputs: [TensorDescription(type: type, shape: [])]) { (c: inout PrepareContext) throws(OpError) in
            let kernel = try Squeeze.prepare(SqueezeOptions(squeezeDims: dims), &c)
            outputs = c.outputs
            return kernel
        }
        #expect(out[0] == bytes)
        return (outputs[0].shape, out[0])
    }

    @Test func shapes() throws {
        #expect(try Self.run([1, 3, 1, 2], dims: []).shape == [3, 2])
        #expect(try Self.run([1, 3, 1, 2], dims: [2]).shape == [1, 3, 2])
        #expect(try Self.run([1, 3, 1, 2], dims: [-4, -2, 0]).shape == [3, 2])
        #expect(try Self.run([1, 1, 1], dims: [], type: .int8).shape == [])
        #expect(try Self.run([1, 1001], dims: [0], type: .uint8).shape == [1001])
        #expect(try Self.run([], dims: []).shape == [])
    }

    @Test func randomShapesAgreeWithTheRule() throws {
        var rng = SeededGenerator(seed: 0x5CEE)
        for _ in 0..<200 {
            let rank = Int.random(in: 0...8, using: &rng)
            let shape = (0..<rank).map { _ in Bool.random(using: &rng) ? 1 : Int.random(in: 1...3, using: &rng) }
            let ones = shape.indices.filter { shape[$0] == 1 }
            let dims = ones.filter { _ in Bool.random(using: &rng) }.map { Bool.random(using: &rng) ? $0 : $0 - rank }
            let type = DataMovement.typesBySize.randomElement(using: &rng) ?? .float32
            let dropped = Set(dims.map { $0 < 0 ? $0 + rank : $0 })
            let expected = dims.isEmpty ? shape.filter { $0 != 1 } : shape.indices.filter { !dropped.contains($0) }.map { shape[$0] }
            #expect(try Self.run(shape, dims: dims, type: type).shape == expected)
        }
    }

    @Test func invalidSqueezesAreErrors() {
        #expect(throws: OpError.self) { try Self.run([1, 3], dims: [1]) }     // not size 1
        #expect(throws: OpError.self) { try Self.run([1, 3], dims: [2]) }     // out of range
        #expect(throws: OpError.self) { try Self.run([1, 3], dims: [-3]) }
        #expect(throws: OpError.self) { try Self.run([1, 1, 1, 1, 1, 1, 1, 1, 1], dims: []) }   // rank 9
        #expect(throws: OpError.self) {
            _ = try KernelHarness.run(inputs: [.bytes(.float32, [1, 2], [UInt8](repeating: 0, count: 8))],
                                      outputs: [TensorDescription(type: .int32, shape: [])]) { (c: inout PrepareContext) throws(OpError) in
                try Squeeze.prepare(SqueezeOptions(), &c)
            }
        }
    }
}

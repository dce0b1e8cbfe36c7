import Testing
import Ops
import TFLiteCore

@Suite struct ReshapeTests {
    @Test func inferredDimensionTakesTheRemainingElements() throws {
        let out = try KernelHarness.run(
            inputs: [.init(.float32, [1, 2, 3], [Float](stride(from: 0, to: 6, by: 1))),
                     .init(.int32, [2], [Int32(-1), 2], constant: true)],
            outputs: [TensorDescription(type: .float32, shape: [])]
        ) { (c: inout PrepareContext) throws(OpError) in try Reshape.prepare(ReshapeOptions(), &c) }
        #expect(out[0].values(as: Float.self) == [0, 1, 2, 3, 4, 5])
        #expect(try Reshape.inferredShape([-1, 2], elementCount: 6) == [3, 2])
    }

    @Test func mismatchedElementCountIsAnError() {
        #expect(throws: OpError.self) { try Reshape.inferredShape([4, 2], elementCount: 6) }
        #expect(throws: OpError.self) { try Reshape.inferredShape([-1, -1], elementCount: 6) }
    }
}

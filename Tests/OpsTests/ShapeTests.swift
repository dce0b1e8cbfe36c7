import Testing
import Ops
import TFLiteCore

@Suite struct ShapeTests {
    static func prepare(_ input: TensorDescription, output: DataType) throws(OpError) -> (kernel: any Kernel, shape: [Int]) {
        var context = PrepareContext(inputs: [input], outputs: [TensorDescription(type: output, shape: [])])
        let kernel = try Shape.prepare(ShapeOptions(outputType: output), &context)
        return (kernel, context.outputs[0].shape)
    }

    @Test(arguments: [DataType.int32, .int64])
    func shapeOfAnActivation(type: DataType) throws {
        // The input is not constant: SHAPE reads its shape only.
        let input = TensorDescription(type: .int8, shape: [5, 224, 224, 3], quantization: quantization(0.5, 1))
        let (kernel, shape) = try Self.prepare(input, output: type)
        #expect(shape == [4])
        #expect(kernel.readsInputData == false)
        let out = try KernelHarness.run(inputs: [.bytes(.int8, [5, 224, 224, 3], [UInt8](repeating: 0, count: 5 * 224 * 224 * 3))],
                                        outputs: [TensorDescription(type: type, shape: [])]) { (c: inout PrepareContext) throws(OpError) in
            try Shape.prepare(ShapeOptions(outputType: type), &c)
        }
        if type == .int64 {
            #expect(out[0].values(as: Int64.self) == [5, 224, 224, 3])
        } else {
            #expect(out[0].values(as: Int32.self) == [5, 224, 224, 3])
        }
    }

    @Test func scalarInputHasAnEmptyShape() throws {
        let (_, shape) = try Self.prepare(TensorDescription(type: .float32, shape: []), output: .int32)
        #expect(shape == [0])
    }

    @Test func otherOutputTypesAreErrors() {
        #expect(throws: OpError.self) { try Self.prepare(TensorDescription(type: .float32, shape: [2]), output: .float32) }
        #expect(throws: OpError.self) { try Self.prepare(TensorDescription(type: .float32, shape: [2]), output: .int8) }
    }
}

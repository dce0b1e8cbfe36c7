import Foundation
import Testing
import TFLite
import TFLiteReader

/// The interpreter's contract on small models built in the test: shapes, memory, errors.
@Suite struct InterpreterTests {
    static let reshapeCode: Int32 = 22

    /// input [1, 2, 3] float → RESHAPE by the constant [3, -1] → output [3, 2].
    static func reshapeModel(signature: [Int32]? = nil) -> Data {
        TestModel(
            builtinCodes: [reshapeCode],
            tensors: [.init(shape: [1, 2, 3], name: "input", shapeSignature: signature),
                      .init(shape: [2], type: 2, buffer: 1, name: "shape"),
                      .init(shape: [3, 2], name: "output")],
            operators: [.init(opcode: 0, inputs: [0, 1], outputs: [2])],
            inputs: [0], outputs: [2],
            buffers: [[], [Int32(3), -1].littleEndianBytes]
        ).data
    }

    @Test func runsAModelAndReportsItsTensors() throws {
        let interpreter = try Interpreter(modelData: Self.reshapeModel())
        try interpreter.allocateTensors()
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        try interpreter.copy(values.withUnsafeBytes { Data($0) }, toInputAt: 0)
        try interpreter.invoke()
        let output = try interpreter.output(at: 0)
        #expect(output.name == "output")
        #expect(output.shape == [3, 2])
        #expect(output.dataType == .float32)
        #expect(output.data == values.withUnsafeBytes { Data($0) })
        #expect(try interpreter.input(at: 0).shape == [1, 2, 3])
    }

    @Test func wrongInputSizeIsAnErrorNamingTheExpectedCount() throws {
        let interpreter = try Interpreter(modelData: Self.reshapeModel())
        try interpreter.allocateTensors()
        #expect(throws: InterpreterError.invalidDataSize(input: 0, expected: 24, got: 5)) {
            try interpreter.copy(Data(count: 5), toInputAt: 0)
        }
        #expect(throws: InterpreterError.invalidTensorIndex(kind: "input", index: 1, count: 1)) {
            try interpreter.copy(Data(count: 24), toInputAt: 1)
        }
    }

    @Test func invokeBeforeAllocateIsAnError() throws {
        let interpreter = try Interpreter(modelData: Self.reshapeModel())
        #expect(throws: InterpreterError.tensorsNotAllocated) { try interpreter.invoke() }
    }

    @Test func resizeFollowsTheShapeSignature() throws {
        let dynamic = try Interpreter(modelData: Self.reshapeModel(signature: [-1, 2, 3]))
        try dynamic.resizeInput(at: 0, to: [2, 2, 3])
        try dynamic.allocateTensors()
        #expect(try dynamic.output(at: 0).shape == [3, 4])
        #expect(throws: InterpreterError.self) { try dynamic.resizeInput(at: 0, to: [2, 3, 3]) }
        #expect(throws: InterpreterError.self) { try dynamic.resizeInput(at: 0, to: [2, 2]) }
    }

    @Test func unsupportedOperatorIsNamedWithItsIndex() {
        let sin: Int32 = 66
        let data = TestModel(builtinCodes: [sin], tensors: [.init(shape: [4]), .init(shape: [4])],
                             operators: [.init(opcode: 0, inputs: [0], outputs: [1])], inputs: [0], outputs: [1]).data
        #expect(throws: InterpreterError.unsupportedOperator(index: 0, name: "SIN")) { try Interpreter(modelData: data) }
    }

    @Test func readingATensorBeforeItIsWrittenIsAnError() throws {
        // op 0 reads tensor 2, which op 1 writes: a cycle or a graph out of order.
        let data = TestModel(
            builtinCodes: [Self.reshapeCode],
            tensors: [.init(shape: [4]), .init(shape: [1], type: 2, buffer: 1), .init(shape: [4]), .init(shape: [4])],
            operators: [.init(opcode: 0, inputs: [2, 1], outputs: [3]), .init(opcode: 0, inputs: [0, 1], outputs: [2])],
            inputs: [0], outputs: [3], buffers: [[], [Int32(4)].littleEndianBytes]).data
        let interpreter = try Interpreter(modelData: data)
        #expect {
            try interpreter.allocateTensors()
        } throws: { error in
            guard case InterpreterError.invalidGraph(let detail) = error else { return false }
            return detail.contains("before anything writes it")
        }
    }

    @Test func memoryBudgetIsCheckedBeforeAllocating() throws {
        // 2^31 floats of activations: refused by the budget, not by the allocator.
        let data = TestModel(
            builtinCodes: [Self.reshapeCode],
            tensors: [.init(shape: [1 << 15, 1 << 16]), .init(shape: [1], type: 2, buffer: 1), .init(shape: [1 << 30, 2])],
            operators: [.init(opcode: 0, inputs: [0, 1], outputs: [2])],
            inputs: [0], outputs: [2], buffers: [[], [Int32(-1)].littleEndianBytes]).data
        let interpreter = try Interpreter(modelData: data, options: .init(memoryBudget: 1 << 30))
        #expect {
            try interpreter.allocateTensors()
        } throws: { error in
            if case InterpreterError.memoryBudgetExceeded = error { return true }
            return false
        }
    }

    @Test func malformedModelsAreTypedErrors() {
        #expect(throws: InterpreterError.model(.empty)) { try Interpreter(modelData: Data()) }
        #expect(throws: InterpreterError.model(.truncated(bytes: 4))) { try Interpreter(modelData: Data([1, 2, 3, 4])) }
        #expect(throws: InterpreterError.self) { try Interpreter(modelPath: "/nonexistent/model.tflite") }
        // A tensor index past the tensor list.
        let badIndex = TestModel(builtinCodes: [Self.reshapeCode], tensors: [.init(shape: [4])],
                                 operators: [.init(opcode: 0, inputs: [0, 7], outputs: [0])], inputs: [0], outputs: [0]).data
        #expect(throws: InterpreterError.model(.indexOutOfRange(what: "subgraph 0 operator 0 input tensor", index: 7, count: 1))) {
            try Interpreter(modelData: badIndex)
        }
        // Negative dimensions.
        let negative = TestModel(builtinCodes: [], tensors: [.init(shape: [-3])], operators: [], inputs: [0], outputs: [0]).data
        #expect(throws: InterpreterError.self) { try Interpreter(modelData: negative) }
        // Per-channel scales that do not match the dimension they run along.
        let badQuantization = TestModel(builtinCodes: [], tensors: [.init(shape: [2, 3], type: 9, scales: [0.1, 0.2], zeroPoints: [0, 0], quantizedDimension: 1)],
                                        operators: [], inputs: [0], outputs: [0]).data
        #expect(throws: InterpreterError.model(.invalidQuantization(subgraph: 0, tensor: 0, reason: "2 scales for dimension 1 of size 3"))) {
            try Interpreter(modelData: badQuantization)
        }
        // An opcode index past the operator-code table.
        let badOpcode = TestModel(builtinCodes: [], tensors: [.init(shape: [4])], operators: [.init(opcode: 3, inputs: [0], outputs: [0])],
                                  inputs: [0], outputs: [0]).data
        #expect(throws: InterpreterError.model(.indexOutOfRange(what: "subgraph 0 operator 0 opcode", index: 3, count: 0))) {
            try Interpreter(modelData: badOpcode)
        }
    }

    @Test func separateInterpretersRunConcurrently() async throws {
        let data = Self.reshapeModel()
        try await withThrowingTaskGroup(of: Data.self) { group in
            for seed in 0..<8 {
                group.addTask {
                    let interpreter = try Interpreter(modelData: data)
                    try interpreter.allocateTensors()
                    let values = (0..<6).map { Float($0 + seed) }
                    for _ in 0..<100 {
                        try interpreter.copy(values.withUnsafeBytes { Data($0) }, toInputAt: 0)
                        try interpreter.invoke()
                    }
                    let out = try interpreter.output(at: 0).data
                    #expect(out == values.withUnsafeBytes { Data($0) })
                    return out
                }
            }
            for try await _ in group {}
        }
    }
}

import Foundation
import Ops
@_exported import TFLiteCore
import TFLiteReader

/// Runs a TFLite model with this package's kernels.
///
/// Shaped like TensorFlowLiteSwift's `Interpreter`: create it from a file or bytes, call
/// `allocateTensors()`, copy data into the inputs, `invoke()`, read the outputs.
///
/// ```swift
/// let interpreter = try Interpreter(modelPath: "mobilenet.tflite")
/// try interpreter.allocateTensors()
/// try interpreter.copy(imageBytes, toInputAt: 0)
/// try interpreter.invoke()
/// let scores = try interpreter.output(at: 0)
/// ```
///
/// An interpreter is not thread-safe: use one from one thread at a time. Separate
/// interpreters (even of the same model file) may run on different threads at once.
public final class Interpreter {
    /// The instruction-set level of the matrix-multiply and depthwise micro-kernels this
    /// process runs: "baseline" (SSE2 / NEON), "avx2" (AVX2 + FMA), "avx512" or "avx512vnni"
    /// (AVX-512 with 8-bit dot products for the quantized matrix multiply), the widest the CPU
    /// supports unless `TFLITE_KERNELS=baseline|avx2|avx512|avx512vnni` lowers it.
    public static var kernelInstructionSet: String {
        switch KernelISA.current {
        case .baseline: "baseline"
        case .avx2: "avx2"
        case .avx512: "avx512"
        case .avx512vnni: "avx512vnni"
        }
    }

    /// How the interpreter runs.
    public struct Options: Sendable {
        /// Threads the kernels may use (1 = the calling thread only).
        public var threadCount: Int
        /// The most bytes of tensor memory (arena plus constants computed at prepare time)
        /// the interpreter may allocate; also bounds the model file's size.
        public var memoryBudget: Int
        /// Keep every intermediate tensor readable after `invoke()` (`tensor(at:)`), instead of
        /// letting tensors with disjoint lifetimes share memory. For debugging and per-layer
        /// comparisons; uses more memory.
        public var preserveAllTensors: Bool

        public init(threadCount: Int = 1, memoryBudget: Int = 2 << 30, preserveAllTensors: Bool = false) {
            self.threadCount = threadCount
            self.memoryBudget = memoryBudget
            self.preserveAllTensors = preserveAllTensors
        }
    }

    /// The model as read from the file.
    public let model: Model
    /// The options the interpreter was created with.
    public let options: Options

    let subgraph: Model.Subgraph
    var inputShapes: [[Int]]
    var plan: ExecutionPlan?

    /// Loads and verifies the model at `modelPath`; every operator must have a kernel here.
    public convenience init(modelPath: String, options: Options = Options()) throws(InterpreterError) {
        let model: Model
        do { model = try Model(contentsOf: modelPath, sizeLimit: options.memoryBudget) } catch { throw .model(error) }
        try self.init(model: model, options: options)
    }

    /// Loads and verifies a model held in memory.
    public convenience init(modelData: Data, options: Options = Options()) throws(InterpreterError) {
        guard modelData.count <= options.memoryBudget else { throw .model(.tooLarge(bytes: modelData.count, limit: options.memoryBudget)) }
        let model: Model
        do { model = try Model(data: modelData) } catch { throw .model(error) }
        try self.init(model: model, options: options)
    }

    /// Wraps an already read model.
    public init(model: Model, options: Options = Options()) throws(InterpreterError) {
        self.model = model
        self.options = options
        guard let main = model.subgraphs.first else { throw .model(.noSubgraphs) }
        subgraph = main
        inputShapes = main.inputs.map { main.tensors[$0].shape }
        for (index, op) in main.operators.enumerated() where !OpResolver.isSupported(op) {
            let name = op.customCode.map { "CUSTOM \"\($0)\"" } ?? op.builtin.name
            throw .unsupportedOperator(index: index, name: name)
        }
    }

    /// The number of inputs of the main graph.
    public var inputTensorCount: Int { subgraph.inputs.count }
    /// The number of outputs of the main graph.
    public var outputTensorCount: Int { subgraph.outputs.count }

    /// Prepares every operator (validating types and shapes, packing weights), infers every
    /// shape and plans the tensor memory. Call again after `resizeInput(at:to:)`.
    public func allocateTensors() throws(InterpreterError) {
        plan = nil
        plan = try ExecutionPlan(model: model, subgraph: subgraph, inputShapes: inputShapes, options: options)
    }

    /// Changes input `index`'s shape (e.g. its batch or resolution). Dimensions the model
    /// marks fixed in its shape signature cannot change; the rank never can. Takes effect at
    /// the next `allocateTensors()`.
    public func resizeInput(at index: Int, to shape: [Int]) throws(InterpreterError) {
        guard inputShapes.indices.contains(index) else {
            throw .invalidTensorIndex(kind: "input", index: index, count: inputShapes.count)
        }
        let tensor = subgraph.tensors[subgraph.inputs[index]]
        guard shape.count == tensor.shape.count else {
            throw .invalidShape("input \(index) has rank \(tensor.shape.count); \(shape) has rank \(shape.count)")
        }
        guard shape.allSatisfy({ $0 >= 1 && $0 <= 1 << 24 }) else { throw .invalidShape("dimensions of \(shape) must be 1…\(1 << 24)") }
        if let signature = tensor.shapeSignature {
            for (i, fixed) in signature.enumerated() where fixed != -1 && shape[i] != fixed {
                throw .invalidShape("dimension \(i) of input \(index) is fixed at \(fixed) by the model")
            }
        }
        if shape != inputShapes[index] {
            inputShapes[index] = shape
            plan = nil
        }
    }

    /// Copies raw little-endian bytes into input `index`; the size must match exactly.
    public func copy(_ data: Data, toInputAt index: Int) throws(InterpreterError) {
        let plan = try allocatedPlan()
        guard subgraph.inputs.indices.contains(index) else {
            throw .invalidTensorIndex(kind: "input", index: index, count: subgraph.inputs.count)
        }
        let tensorIndex = subgraph.inputs[index]
        let expected = plan.byteCount(of: tensorIndex)
        guard data.count == expected else { throw .invalidDataSize(input: index, expected: expected, got: data.count) }
        guard let destination = plan.mutablePointer(to: tensorIndex) else {
            throw .invalidGraph("input \(index) is a constant tensor")
        }
        data.withUnsafeBytes { source in
            if let base = source.baseAddress, expected > 0 { destination.copyMemory(from: base, byteCount: expected) }
        }
    }

    /// Runs every operator once on the current inputs.
    public func invoke() throws(InterpreterError) {
        try allocatedPlan().run()
    }

    /// Runs every operator once, like `invoke()`, and returns how long each took, in run order.
    /// Operators computed once at prepare time (e.g. shape arithmetic, float16 weight
    /// dequantization) do not run and are not listed.
    public func invokeProfiled() throws(InterpreterError) -> [OperatorTiming] {
        let plan = try allocatedPlan()
        return plan.runProfiled().map { step in
            let op = subgraph.operators[step.operatorIndex]
            return OperatorTiming(operatorIndex: step.operatorIndex, operatorName: op.customCode ?? op.builtin.name, seconds: step.seconds)
        }
    }

    /// Bytes of tensor memory the interpreter holds after `allocateTensors()`: the arena (all
    /// activations, planned to share space), scratch, and constants computed at prepare time.
    public var tensorMemoryBytes: Int { plan?.allocatedBytes ?? 0 }

    /// Input `index`: metadata and current bytes.
    public func input(at index: Int) throws(InterpreterError) -> Tensor {
        guard subgraph.inputs.indices.contains(index) else {
            throw .invalidTensorIndex(kind: "input", index: index, count: subgraph.inputs.count)
        }
        return try tensor(subgraph.inputs[index])
    }

    /// Output `index`: metadata and the bytes of the last `invoke()`.
    public func output(at index: Int) throws(InterpreterError) -> Tensor {
        guard subgraph.outputs.indices.contains(index) else {
            throw .invalidTensorIndex(kind: "output", index: index, count: subgraph.outputs.count)
        }
        return try tensor(subgraph.outputs[index])
    }

    /// The number of tensors in the main graph (inputs, outputs, intermediates, constants).
    public var tensorCount: Int { subgraph.tensors.count }

    /// Any tensor of the main graph by its index in the model. Intermediate tensors hold the
    /// last `invoke()`'s values only with `Options.preserveAllTensors`; otherwise their memory
    /// may have been reused by later operators.
    public func tensor(at index: Int) throws(InterpreterError) -> Tensor {
        guard subgraph.tensors.indices.contains(index) else {
            throw .invalidTensorIndex(kind: "tensor", index: index, count: subgraph.tensors.count)
        }
        return try tensor(index)
    }

    func tensor(_ index: Int) throws(InterpreterError) -> Tensor {
        let plan = try allocatedPlan()
        let declaration = subgraph.tensors[index]
        return Tensor(name: declaration.name, dataType: declaration.type, shape: plan.shape(of: index),
                      data: plan.bytes(of: index), quantizationParameters: declaration.quantization)
    }

    func allocatedPlan() throws(InterpreterError) -> ExecutionPlan {
        guard let plan else { throw .tensorsNotAllocated }
        return plan
    }
}

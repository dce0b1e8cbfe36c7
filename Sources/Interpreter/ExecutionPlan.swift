import Dispatch
import Foundation
import Ops
import TFLiteCore
import TFLiteReader

/// A model prepared to run: a kernel per operator, every shape known, every non-constant
/// tensor placed in one arena planned once, and the pointers each kernel runs on fixed.
final class ExecutionPlan {
    /// Where a tensor's bytes live.
    enum Storage {
        /// In the model file (weights) or in a buffer computed at prepare time.
        case constant(UnsafeRawBufferPointer)
        /// At an offset in the arena.
        case arena(offset: Int)
        /// Never used by any operator nor the graph (no storage).
        case none
    }

    struct Step {
        let operatorIndex: Int
        let kernel: any Kernel
        let inputs: UnsafeMutableBufferPointer<UnsafeRawPointer?>
        let outputs: UnsafeMutableBufferPointer<UnsafeMutableRawPointer>
    }

    private(set) var shapes: [[Int]]
    private var storage: [Storage]
    private var steps: [Step] = []
    private var arena: UnsafeMutableRawBufferPointer
    private var scratch: UnsafeMutableRawBufferPointer
    /// Buffers computed at prepare time (folded constants), owned here.
    private var foldedBuffers: [UnsafeMutableRawBufferPointer] = []
    private let runner: ParallelRunner
    private let types: [DataType]
    private let model: Model

    init(model: Model, subgraph: Model.Subgraph, inputShapes: [[Int]], options: Interpreter.Options) throws(InterpreterError) {
        self.model = model
        let tensors = subgraph.tensors
        types = tensors.map(\.type)
        runner = ParallelRunner(threadCount: options.threadCount)
        shapes = tensors.map(\.shape)
        storage = tensors.map { tensor in
            if let data = model.constantData(of: tensor) { return .constant(data) }
            return .none
        }
        for (position, index) in subgraph.inputs.enumerated() {
            shapes[index] = inputShapes[position]
        }
        arena = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

        // 1. Prepare every operator in order, folding those computable now.
        var budgetUsed = 0
        var kernels: [(any Kernel)?] = []
        var known = [Bool](repeating: false, count: tensors.count)   // defined before the current op
        for index in subgraph.inputs { known[index] = true }
        for (t, tensor) in tensors.enumerated() where model.constantData(of: tensor) != nil { known[t] = true }
        var maxScratch = 0
        for (opIndex, op) in subgraph.operators.enumerated() {
            let opName = op.customCode.map { "CUSTOM \"\($0)\"" } ?? op.builtin.name
            func fail(_ reason: String) -> InterpreterError { .operatorFailed(index: opIndex, name: opName, reason: reason) }
            var inputs: [TensorDescription?] = []
            for t in op.inputs {
                guard t >= 0 else { inputs.append(nil); continue }
                guard known[t] else { throw .invalidGraph("operator \(opIndex) (\(opName)) reads tensor \(t) \"\(tensors[t].name)\" before anything writes it") }
                guard !tensors[t].isVariable else { throw fail("variable tensors are not supported") }
                guard !tensors[t].isSparse else { throw fail("sparse tensors are not supported") }
                // Kernels may precompute in proportion to their inputs: no input may exceed the budget.
                guard try Self.byteCount(shape: shapes[t], type: tensors[t].type) <= options.memoryBudget else {
                    throw .memoryBudgetExceeded(needed: try Self.byteCount(shape: shapes[t], type: tensors[t].type), budget: options.memoryBudget)
                }
                var data: UnsafeRawBufferPointer?
                if case .constant(let bytes) = storage[t] { data = bytes }
                inputs.append(TensorDescription(type: tensors[t].type, shape: shapes[t], quantization: tensors[t].quantization, data: data))
            }
            for t in op.outputs {
                guard case .none = storage[t], !subgraph.inputs.contains(t) else {
                    throw .invalidGraph("operator \(opIndex) (\(opName)) writes tensor \(t), which is an input, a constant or already written")
                }
            }
            let outputs = op.outputs.map { TensorDescription(type: tensors[$0].type, shape: tensors[$0].shape, quantization: tensors[$0].quantization) }
            var context = PrepareContext(inputs: inputs, outputs: outputs, threadCount: options.threadCount)
            let kernel: any Kernel
            do {
                guard let prepared = try OpResolver.prepare(op, &context) else { throw InterpreterError.unsupportedOperator(index: opIndex, name: opName) }
                kernel = prepared
            } catch let error as OpError {
                throw fail(error.description)
            } catch let error as InterpreterError {
                throw error
            } catch {
                throw fail("\(error)")
            }
            for (position, t) in op.outputs.enumerated() {
                let prepared = context.outputs[position]
                guard prepared.type == tensors[t].type else { throw fail("output type \(prepared.type.schemaName) differs from the model's \(tensors[t].type.schemaName)") }
                shapes[t] = prepared.shape
                known[t] = true
            }
            // Weights the kernel has packed need not stay resident: give their file pages back
            // (reread from the file if an op reads them again). Folded constants lie outside
            // the file's bytes, which `releaseResidentPages` ignores.
            for t in op.inputs where t >= 0 {
                if case .constant(let bytes) = storage[t] { model.bytes.releaseResidentPages(bytes) }
            }
            guard kernel.scratchByteCount <= options.memoryBudget else {
                throw .memoryBudgetExceeded(needed: kernel.scratchByteCount, budget: options.memoryBudget)
            }
            maxScratch = max(maxScratch, kernel.scratchByteCount)
            let foldable = !op.outputs.isEmpty && (!kernel.readsInputData || inputs.allSatisfy { $0 == nil || $0?.isConstant == true })
            if foldable && !subgraph.outputs.contains(where: op.outputs.contains) {
                var outputBuffers: [UnsafeMutableRawBufferPointer] = []
                for t in op.outputs {
                    let bytes = try Self.byteCount(shape: shapes[t], type: tensors[t].type)
                    budgetUsed += bytes
                    guard budgetUsed <= options.memoryBudget else { throw .memoryBudgetExceeded(needed: budgetUsed, budget: options.memoryBudget) }
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
                    foldedBuffers.append(buffer)
                    outputBuffers.append(buffer)
                }
                let foldScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(kernel.scratchByteCount, 1), alignment: 64)
                defer { foldScratch.deallocate() }
                let inputPointers: [UnsafeRawPointer?] = inputs.map { description in
                    guard let description else { return nil }
                    return description.data?.baseAddress ?? UnsafeRawPointer(foldScratch.baseAddress)
                }
                let outputPointers = outputBuffers.map { $0.baseAddress.unsafelyUnwrapped }
                // Empty outputs: nothing to compute (see the same rule for steps below).
                if !op.outputs.allSatisfy({ shapes[$0].contains(0) }) {
                    inputPointers.withUnsafeBufferPointer { ins in
                        outputPointers.withUnsafeBufferPointer { outs in
                            kernel.eval(KernelArguments(inputs: ins, outputs: outs, scratch: foldScratch.baseAddress,
                                                        runner: ParallelRunner(threadCount: 1)))
                        }
                    }
                }
                for (position, t) in op.outputs.enumerated() {
                    let bytes = try Self.byteCount(shape: shapes[t], type: tensors[t].type)
                    storage[t] = .constant(UnsafeRawBufferPointer(rebasing: outputBuffers[position][0..<bytes]))
                }
                kernels.append(nil)
            } else {
                kernels.append(kernel)
            }
        }

        // 1b. A FLOAT32 HARD_SWISH that alone reads what a convolution writes runs inside that
        // convolution (applied to each tile while it is in cache); the convolution writes the
        // HARD_SWISH's output and the intermediate tensor gets no memory. Not with
        // `preserveAllTensors`, which promises every intermediate tensor.
        var writes = subgraph.operators.map(\.outputs)
        var reads = subgraph.operators.map(\.inputs)
        if !options.preserveAllTensors {
            var readers = [Int](repeating: 0, count: tensors.count)
            for (opIndex, op) in subgraph.operators.enumerated() where kernels[opIndex] != nil {
                for t in op.inputs where t >= 0 { readers[t] += 1 }
            }
            // The one live step reading `t`, once — as its input 0 unless `anyInput` — when it runs
            // after step `opIndex` (the step that fuses into it: 1b′, 1e, 1f).
            func soleReader(of t: Int, after opIndex: Int, anyInput: Bool = false) -> Int? {
                guard let reader = subgraph.operators.indices.first(where: { kernels[$0] != nil && reads[$0].contains(t) }),
                      reader > opIndex, reads[reader].reduce(0, { $0 + ($1 == t ? 1 : 0) }) == 1, anyInput || reads[reader].first == t
                else { return nil }
                return reader
            }
            var writer = [Int](repeating: -1, count: tensors.count)
            for (opIndex, op) in subgraph.operators.enumerated() where kernels[opIndex] != nil {
                for t in op.outputs { writer[t] = opIndex }
            }
            for (opIndex, op) in subgraph.operators.enumerated() where op.builtin == .hardSwish && kernels[opIndex] != nil {
                guard op.inputs.count == 1, op.outputs.count == 1, let t = op.inputs.first, t >= 0, tensors[t].type == .float32,
                      readers[t] == 1, !subgraph.outputs.contains(t), writer[t] >= 0,
                      writes[writer[t]] == [t], shapes[t] == shapes[op.outputs[0]],
                      let producer = kernels[writer[t]] as? HardSwishFusing else { continue }
                producer.fuseHardSwish()
                writes[writer[t]] = op.outputs
                writer[op.outputs[0]] = writer[t]
                kernels[opIndex] = nil
            }

            // 1b′. An input normalization — a FLOAT32 MUL by a constant whose output only an ADD of
            // a constant reads (Keras' MobileNetV3: x · scale + offset) — whose result only a
            // directly run convolution reads, as its input, runs inside that convolution
            // (`InputAffineFusing`): the convolution reads the MUL's input and normalizes the
            // rows it takes; neither op's output gets memory.
            func constantScalar(_ t: Int) -> Float? {
                guard t >= 0, tensors[t].type == .float32, shapes[t].reduce(1, *) == 1, case .constant(let bytes) = storage[t],
                      bytes.count >= 4 else { return nil }
                return bytes.loadUnaligned(as: Float.self)
            }
            for (mulIndex, mulOp) in subgraph.operators.enumerated() where mulOp.builtin == .mul {
                guard let mul = kernels[mulIndex] as? FloatBinaryKernel, let mulRange = mul.multiplicationRange, mulOp.inputs.count == 2,
                      mulOp.outputs.count == 1, let m = mulOp.outputs.first, readers[m] == 1, !subgraph.outputs.contains(m),
                      let addIndex = soleReader(of: m, after: mulIndex, anyInput: true), let add = kernels[addIndex] as? FloatBinaryKernel,
                      let addRange = add.additionRange else { continue }
                let addOp = subgraph.operators[addIndex]
                guard addOp.inputs.count == 2, addOp.outputs.count == 1, let a = addOp.outputs.first, readers[a] == 1,
                      !subgraph.outputs.contains(a), let convolutionIndex = soleReader(of: a, after: addIndex),
                      let convolution = kernels[convolutionIndex] as? InputAffineFusing,
                      let scalePosition = (0..<2).first(where: { constantScalar(mulOp.inputs[$0]) != nil }),
                      let scale = constantScalar(mulOp.inputs[scalePosition]),
                      let offsetPosition = (0..<2).first(where: { addOp.inputs[$0] != m }), addOp.inputs[1 - offsetPosition] == m,
                      let offset = constantScalar(addOp.inputs[offsetPosition]) else { continue }
                let x = mulOp.inputs[1 - scalePosition]
                guard x >= 0, tensors[x].type == .float32, shapes[x] == shapes[m], shapes[m] == shapes[a],
                      convolution.fuseInputAffine(InputAffine(scale: scale, scaleFirst: scalePosition == 0, mulMinimum: mulRange.minimum,
                                                              mulMaximum: mulRange.maximum, offset: offset, offsetFirst: offsetPosition == 0,
                                                              addMinimum: addRange.minimum, addMaximum: addRange.maximum)) else { continue }
                guard convolution.scratchByteCount <= options.memoryBudget else { throw .memoryBudgetExceeded(needed: convolution.scratchByteCount, budget: options.memoryBudget) }
                reads[convolutionIndex][0] = x
                kernels[mulIndex] = nil
                kernels[addIndex] = nil
                maxScratch = max(maxScratch, convolution.scratchByteCount)
            }

            // 1c. A FLOAT32 DEPTHWISE_CONV_2D that alone reads a large tensor a convolution
            // writes row by row (1×1 or direct) runs that convolution itself, a few rows ahead
            // (`DepthwiseAfterConvolutionKernel`): the tensor gets no memory and its rows stay
            // in the core's cache. The fused step reads what the convolution read.
            for (opIndex, op) in subgraph.operators.enumerated() where op.builtin == .depthwiseConv2D {
                guard let depthwise = kernels[opIndex], let t = op.inputs.first, t >= 0,
                      readers[t] == 1, !subgraph.outputs.contains(t), writer[t] >= 0, writes[writer[t]] == [t],
                      let convolution = kernels[writer[t]],
                      let bytes = try? Self.byteCount(shape: shapes[t], type: tensors[t].type),
                      bytes >= DepthwiseAfterConvolutionKernel.minimumIntermediateBytes,
                      let fused = DepthwiseAfterConvolutionKernel.fusing(depthwise, after: convolution, threads: options.threadCount),
                      fused.scratchByteCount <= options.memoryBudget else { continue }
                kernels[writer[t]] = nil
                kernels[opIndex] = fused
                reads[opIndex] = Array(reads[writer[t]].prefix(1))
                maxScratch = max(maxScratch, fused.scratchByteCount)
            }

            // 1d. An ADD of two same-shape tensors, one of which only it reads and a convolution
            // writes (MobileNet's residual connections), runs inside that convolution: the
            // convolution also reads the other addend — which must exist by then — and writes the
            // ADD's output. FLOAT32 (`ResidualAddFusing`): each tile gets the other addend added
            // before it is stored; INT8/UINT8 (`QuantizedResidualAddFusing`): the convolution
            // stores its bytes where the ADD's output goes and runs the ADD on them, range by
            // range, in place.
            for (opIndex, op) in subgraph.operators.enumerated() where op.builtin == .add {
                guard let add = kernels[opIndex], op.inputs.count == 2, op.outputs.count == 1, let out = op.outputs.first,
                      op.inputs.allSatisfy({ $0 >= 0 && shapes[$0] == shapes[out] && tensors[$0].type == tensors[out].type }) else { continue }
                let fuse: (_ convolution: any Kernel, _ input: Int, _ addendFirst: Bool) -> Bool
                switch tensors[out].type {
                case .float32:
                    guard let range = (add as? FloatBinaryKernel)?.additionRange else { continue }
                    fuse = { convolution, input, addendFirst in
                        (convolution as? ResidualAddFusing)?.fuseResidualAdd(input: input, addendFirst: addendFirst,
                                                                             minimum: range.minimum, maximum: range.maximum) ?? false
                    }
                case .int8, .uint8:
                    fuse = { convolution, input, addendFirst in
                        (convolution as? QuantizedResidualAddFusing)?.fuseResidualAdd(add, input: input, addendFirst: addendFirst) ?? false
                    }
                default:
                    continue
                }
                for (position, t) in op.inputs.enumerated() {
                    let other = op.inputs[1 - position]
                    guard t != other, readers[t] == 1, !subgraph.outputs.contains(t), writer[t] >= 0, writes[writer[t]] == [t],
                          writer[other] < writer[t], let convolution = kernels[writer[t]],
                          fuse(convolution, reads[writer[t]].count, position == 1) else { continue }
                    reads[writer[t]].append(other)
                    writes[writer[t]] = op.outputs
                    writer[out] = writer[t]
                    kernels[opIndex] = nil
                    break
                }
            }

            // 1e. A FLOAT32 MUL of a tensor by a per-channel vector (MobileNetV3's squeeze-and-
            // excite scaling) whose output only a 1×1 convolution reads, as its input, runs inside
            // that convolution (`InputScaleFusing`): the convolution reads the MUL's inputs and
            // the MUL's output gets no memory.
            for (opIndex, op) in subgraph.operators.enumerated() where op.builtin == .mul {
                guard let mul = kernels[opIndex] as? FloatBinaryKernel, let range = mul.multiplicationRange, op.inputs.count == 2,
                      op.outputs.count == 1, let out = op.outputs.first, readers[out] == 1, !subgraph.outputs.contains(out),
                      let channels = shapes[out].last, shapes[out].count == 4, tensors[out].type == .float32,
                      let reader = soleReader(of: out, after: opIndex) else { continue }
                for position in 0..<2 {
                    let x = op.inputs[position], scale = op.inputs[1 - position]
                    guard x >= 0, scale >= 0, x != scale, shapes[x] == shapes[out], tensors[x].type == .float32, tensors[scale].type == .float32,
                          shapes[scale].last == channels, shapes[scale].reduce(1, *) == channels,
                          let convolution = kernels[reader] as? InputScaleFusing,
                          convolution.fuseInputScale(input: reads[reader].count, scaleFirst: position == 1,
                                                     minimum: range.minimum, maximum: range.maximum) else { continue }
                    reads[reader][0] = x
                    reads[reader].append(scale)
                    kernels[opIndex] = nil
                    maxScratch = max(maxScratch, convolution.scratchByteCount)
                    break
                }
            }

            // 1f. A FLOAT32 1×1 convolution that alone reads what a fused depthwise step (1c)
            // writes — the projection closing an inverted residual block, with its fused
            // residual ADD — runs inside that step on strips of depthwise rows still in cache
            // (`DepthwiseAfterConvolutionKernel.fuseProjection`): the block is one step, at the
            // convolution's place, reading the block's input, the convolution's weights and any
            // residual addend, and writing what the convolution wrote; the depthwise output
            // gets no memory.
            for (opIndex, op) in subgraph.operators.enumerated() where op.builtin == .depthwiseConv2D {
                guard let block = kernels[opIndex] as? DepthwiseAfterConvolutionKernel, reads[opIndex].count == 1,
                      op.outputs.count == 1, let t = op.outputs.first, readers[t] == 1, !subgraph.outputs.contains(t),
                      let reader = soleReader(of: t, after: opIndex), let projection = kernels[reader], block.fuseProjection(projection, scratchBudget: options.memoryBudget) else { continue }
                reads[reader] = reads[opIndex] + reads[reader].dropFirst()
                kernels[reader] = block
                kernels[opIndex] = nil
                maxScratch = max(maxScratch, block.scratchByteCount)
            }
        }

        // 2. Lifetimes of the tensors that live in the arena.
        let stepCount = subgraph.operators.count
        var firstUse = [Int](repeating: Int.max, count: tensors.count)
        var lastUse = [Int](repeating: -1, count: tensors.count)
        for index in subgraph.inputs {
            firstUse[index] = 0
            lastUse[index] = max(lastUse[index], 0)
        }
        for opIndex in subgraph.operators.indices where kernels[opIndex] != nil {
            for t in reads[opIndex] where t >= 0 { lastUse[t] = max(lastUse[t], opIndex) }
            for t in writes[opIndex] {
                firstUse[t] = min(firstUse[t], opIndex)
                lastUse[t] = max(lastUse[t], opIndex)
            }
        }
        if options.preserveAllTensors {
            for t in tensors.indices where lastUse[t] >= 0 { lastUse[t] = stepCount }
        }
        for index in subgraph.outputs {
            lastUse[index] = stepCount
            if firstUse[index] == Int.max { firstUse[index] = 0 }
        }
        var arenaTensors: [Int] = []
        var requests: [MemoryPlanner.Request] = []
        for t in tensors.indices where lastUse[t] >= 0 {
            if case .constant = storage[t] { continue }
            arenaTensors.append(t)
            requests.append(.init(bytes: try Self.byteCount(shape: shapes[t], type: tensors[t].type),
                                  firstUse: firstUse[t], lastUse: lastUse[t]))
        }
        let (offsets, arenaBytes) = MemoryPlanner.plan(requests)
        // Saturating: with a budget near Int.max, a hostile model's sizes could each pass it.
        let (partial, first) = arenaBytes.addingReportingOverflow(maxScratch)
        let (sum, second) = partial.addingReportingOverflow(budgetUsed)
        let totalBytes = first || second ? Int.max : sum
        guard totalBytes <= options.memoryBudget else { throw .memoryBudgetExceeded(needed: totalBytes, budget: options.memoryBudget) }
        for (position, t) in arenaTensors.enumerated() { storage[t] = .arena(offset: offsets[position]) }
        arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(arenaBytes, 1), alignment: 64)
        arena.initializeMemory(as: UInt8.self, repeating: 0)
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(maxScratch, 1), alignment: 64)

        // 3. Fix every kernel's pointers once.
        for (opIndex, op) in subgraph.operators.enumerated() {
            guard let kernel = kernels[opIndex] else { continue }
            // An op whose outputs are all empty has nothing to compute (and a hostile shape
            // such as [1, 654311431, 0, 0] would still make its loops walk the empty rows).
            if !op.outputs.isEmpty && op.outputs.allSatisfy({ shapes[$0].contains(0) }) { continue }
            let inputs = UnsafeMutableBufferPointer<UnsafeRawPointer?>.allocate(capacity: max(reads[opIndex].count, 1))
            for (i, t) in reads[opIndex].enumerated() { inputs[i] = t >= 0 ? pointer(to: t) : nil }
            let outputs = UnsafeMutableBufferPointer<UnsafeMutableRawPointer>.allocate(capacity: max(op.outputs.count, 1))
            for (i, t) in writes[opIndex].enumerated() {
                outputs[i] = mutablePointer(to: t) ?? UnsafeMutableRawPointer(scratch.baseAddress.unsafelyUnwrapped)
            }
            steps.append(Step(operatorIndex: opIndex, kernel: kernel,
                              inputs: UnsafeMutableBufferPointer(rebasing: inputs[0..<reads[opIndex].count]),
                              outputs: UnsafeMutableBufferPointer(rebasing: outputs[0..<op.outputs.count])))
        }
    }

    deinit {
        for step in steps {
            UnsafeMutableRawPointer(step.inputs.baseAddress)?.deallocate()
            UnsafeMutableRawPointer(step.outputs.baseAddress)?.deallocate()
        }
        foldedBuffers.forEach { $0.deallocate() }
        arena.deallocate()
        scratch.deallocate()
    }

    /// Runs every step in order.
    func run() {
        let scratchBase = scratch.baseAddress
        for step in steps {
            step.kernel.eval(KernelArguments(inputs: UnsafeBufferPointer(step.inputs), outputs: UnsafeBufferPointer(step.outputs),
                                             scratch: scratchBase, runner: runner))
        }
    }

    /// Runs every step in order, timing each: (operator index, seconds) per step. Operators
    /// folded at prepare time do not run and are not listed.
    func runProfiled() -> [(operatorIndex: Int, seconds: Double)] {
        let scratchBase = scratch.baseAddress
        var timings: [(operatorIndex: Int, seconds: Double)] = []
        timings.reserveCapacity(steps.count)
        for step in steps {
            let start = DispatchTime.now().uptimeNanoseconds
            step.kernel.eval(KernelArguments(inputs: UnsafeBufferPointer(step.inputs), outputs: UnsafeBufferPointer(step.outputs),
                                             scratch: scratchBase, runner: runner))
            timings.append((step.operatorIndex, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }
        return timings
    }

    /// Bytes of the arena plus constants computed at prepare time.
    var allocatedBytes: Int { arena.count + scratch.count + foldedBuffers.reduce(0) { $0 + $1.count } }

    func shape(of tensor: Int) -> [Int] { shapes[tensor] }

    func byteCount(of tensor: Int) -> Int {
        (try? Self.byteCount(shape: shapes[tensor], type: types[tensor])) ?? 0
    }

    func pointer(to tensor: Int) -> UnsafeRawPointer? {
        switch storage[tensor] {
        case .constant(let bytes): bytes.baseAddress ?? UnsafeRawPointer(scratch.baseAddress)
        case .arena(let offset): UnsafeRawPointer(arena.baseAddress.map { $0 + offset })
        case .none: nil
        }
    }

    func mutablePointer(to tensor: Int) -> UnsafeMutableRawPointer? {
        guard case .arena(let offset) = storage[tensor] else { return nil }
        return arena.baseAddress.map { $0 + offset }
    }

    func bytes(of tensor: Int) -> Data {
        let count = byteCount(of: tensor)
        guard count > 0, let base = pointer(to: tensor) else { return Data() }
        return Data(bytes: base, count: count)
    }

    static func byteCount(shape: [Int], type: DataType) throws(InterpreterError) -> Int {
        guard let elementSize = type.byteSize else { throw .invalidGraph("tensors of type \(type.schemaName) are not supported") }
        var count = elementSize
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard dim >= 0, !overflow else { throw .invalidShape("\(shape) is too large") }
            count = product
        }
        return count
    }
}

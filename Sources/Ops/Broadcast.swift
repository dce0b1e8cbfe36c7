import Microkernels
import TFLiteCore

// The broadcasting machinery ADD, SUB and MUL share: a plan made at prepare, a loop that walks
// it with one elementwise function, the pair-table kernel for large 8-bit outputs, and the
// FLOAT32 and INT32 kernels. The per-element quantized kernels and the integer parameters live
// with their ops (Add.swift for ADD and SUB, Mul.swift).

/// How two tensors broadcast against each other, planned at prepare. Shapes follow NumPy's
/// rules as TFLite's `CalculateShapeForBroadcast` applies them (align on the right; each pair of
/// dimensions equal or one of them 1; a 0 against a 1 gives 0).
///
/// Adjacent dimensions that walk both inputs the same way are merged, as TFLite's
/// `BroadcastBinaryOpSimple` does, so the output is a row-major walk of `runCount` runs of
/// `innerCount` elements. Within a run each input steps by 1, or by 0 when it is broadcast along
/// the run; between runs the inputs step through at most 7 outer loops. Same shapes and a
/// single-element operand give one run over everything; a per-channel operand ([1, H, W, C]
/// with [C]) gives runs of C over one outer loop of H·W.
package struct BroadcastPlan: Sendable {
    package let outputShape: [Int]
    package let outputCount: Int
    package let innerCount: Int
    /// 1, or 0 when the input is broadcast along the run.
    package let innerStride1: Int
    package let innerStride2: Int
    /// Outer loops, innermost first: extent, and each input's step in elements.
    package let outerExtents: [Int]
    package let outerStrides1: [Int]
    package let outerStrides2: [Int]

    /// Ranks up to 8 (TFLite's `BroadcastBinaryOpSimple` limit).
    package static let maximumRank = 8

    package init(_ shape1: [Int], _ shape2: [Int]) throws(OpError) {
        let rank = max(shape1.count, shape2.count)
        guard rank <= Self.maximumRank else {
            throw .invalidShape("broadcasting supports up to \(Self.maximumRank) dimensions, got \(shape1) and \(shape2)")
        }
        let a = [Int](repeating: 1, count: rank - shape1.count) + shape1
        let b = [Int](repeating: 1, count: rank - shape2.count) + shape2
        var out: [Int] = []
        for d in 0..<rank {
            guard a[d] >= 0, b[d] >= 0 else { throw .invalidShape("negative dimension in \(shape1) or \(shape2)") }
            guard a[d] == b[d] || a[d] == 1 || b[d] == 1 else {
                throw .invalidShape("shapes \(shape1) and \(shape2) do not broadcast")
            }
            out.append(a[d] == 0 || b[d] == 0 ? 0 : max(a[d], b[d]))
        }
        outputShape = out
        outputCount = try checkedElementCount(out)
        try checkedElementCount(a)
        try checkedElementCount(b)

        // Loops innermost first, dimensions of extent 1 dropped; a dimension joins the loop
        // inside it when it continues both inputs' walks (step = inner step × inner extent).
        var extents: [Int] = [], steps1: [Int] = [], steps2: [Int] = []
        var accumulated1 = 1, accumulated2 = 1
        for d in (0..<rank).reversed() where out[d] != 1 {
            let step1 = a[d] == 1 ? 0 : accumulated1
            let step2 = b[d] == 1 ? 0 : accumulated2
            if let last = extents.indices.last,
               step1 == steps1[last] * extents[last], step2 == steps2[last] * extents[last] {
                extents[last] *= out[d]
            } else {
                extents.append(out[d])
                steps1.append(step1)
                steps2.append(step2)
            }
            accumulated1 *= a[d]
            accumulated2 *= b[d]
        }
        if extents.isEmpty {
            // A single element (or rank 0).
            innerCount = 1
            innerStride1 = 1
            innerStride2 = 1
        } else {
            innerCount = extents[0]
            innerStride1 = steps1[0]
            innerStride2 = steps2[0]
        }
        outerExtents = Array(extents.dropFirst())
        outerStrides1 = Array(steps1.dropFirst())
        outerStrides2 = Array(steps2.dropFirst())
    }

    /// Both inputs have the output's shape (up to leading 1s): one contiguous run.
    package var isElementwise: Bool { outerExtents.isEmpty && innerStride1 == 1 && innerStride2 == 1 }

    /// Calls `body(outputOffset, offset1, offset2, count)` for each piece of a run that output
    /// elements `elements` cover, in order: `count` elements from those offsets, each input
    /// stepping by its inner stride. Does not allocate.
    @inline(__always)
    package func forEachSegment(in elements: Range<Int>, _ body: (_ output: Int, _ offset1: Int, _ offset2: Int, _ count: Int) -> Void) {
        guard !elements.isEmpty else { return }
        let inner = innerCount, loops = outerExtents.count
        let run = elements.lowerBound / inner
        var position = elements.lowerBound - run * inner
        var remaining = elements.count
        var output = elements.lowerBound
        outerExtents.withUnsafeBufferPointer { extents in
            outerStrides1.withUnsafeBufferPointer { steps1 in
                outerStrides2.withUnsafeBufferPointer { steps2 in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: max(loops, 1)) { index in
                        var offset1 = 0, offset2 = 0, rest = run
                        for d in 0..<loops {
                            let i = rest % extents[d]
                            rest /= extents[d]
                            index[d] = i
                            offset1 += i * steps1[d]
                            offset2 += i * steps2[d]
                        }
                        while remaining > 0 {
                            let count = min(inner - position, remaining)
                            body(output, offset1 + position * innerStride1, offset2 + position * innerStride2, count)
                            output += count
                            remaining -= count
                            position = 0
                            var d = 0
                            while d < loops {
                                index[d] += 1
                                offset1 += steps1[d]
                                offset2 += steps2[d]
                                if index[d] < extents[d] { break }
                                offset1 -= steps1[d] * extents[d]
                                offset2 -= steps2[d] * extents[d]
                                index[d] = 0
                                d += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Elements per range below which splitting the work costs more than it saves.
    static let parallelGrain = 1 << 13

    /// `out[i] = f(a[…], b[…])` over the whole output, split over the runner's threads.
    /// Generic so that each call site gets its own loop with `f` inlined.
    @inline(__always)
    func apply<F: BinaryFunction>(_ f: F, _ a: UnsafePointer<F.Element>, _ b: UnsafePointer<F.Element>,
                                  _ out: UnsafeMutablePointer<F.Element>, runner: ParallelRunner) {
        runner.forEachRange(count: outputCount, grain: Self.parallelGrain, context: (self, f, a, b, out)) { c, elements in
            let (plan, f, a, b, out) = c
            let stride1 = plan.innerStride1, stride2 = plan.innerStride2
            plan.forEachSegment(in: elements) { o, o1, o2, n in
                let x = a + o1, y = b + o2, z = out + o
                if stride1 != 0 && stride2 != 0 {
                    for i in 0..<n { z[i] = f(x[i], y[i]) }
                } else if stride2 == 0 {
                    let y0 = y[0]
                    for i in 0..<n { z[i] = f(x[i], y0) }
                } else {
                    let x0 = x[0]
                    for i in 0..<n { z[i] = f(x0, y[i]) }
                }
            }
        }
    }
}

/// One elementwise function of two elements (with its clamp), inlined into the broadcast loop.
protocol BinaryFunction {
    associatedtype Element
    func callAsFunction(_ a: Element, _ b: Element) -> Element
}

/// The arithmetic of a binary elementwise op.
package enum BinaryOperation: Sendable {
    case add, sub, mul

    var name: String {
        switch self {
        case .add: "ADD"
        case .sub: "SUB"
        case .mul: "MUL"
        }
    }
}

/// ADD / SUB / MUL prepare, shared: arity, types, broadcast shape, and the FLOAT32 and INT32
/// kernels; 8-bit types go to the op's own quantized kernel.
enum BinaryArithmetic {
    /// An 8-bit ADD, SUB or MUL one of whose inputs is a constant single value, as a table of
    /// the other input's 256 bytes (`ByteTableKernel`; `compute(x1, x2)` the op's reference
    /// output): MobileNetV3's input scaling, a MUL and an ADD by constants over the whole
    /// image, was ~0.1 ms of V3-large int8 through the general kernels. Nil otherwise.
    static func constantOperandTable(_ p: Prepared, isa: KernelISA, compute: (Int32, Int32) -> Int32) -> (any Kernel)? {
        for (constant, other, index) in [(p.input2, p.input1, 0), (p.input1, p.input2, 1)] {
            guard constant.elementCount == 1, other.elementCount == p.plan.outputCount,
                  let value = try? widenedConstant(constant, "the constant operand"), value.count >= 1 else { continue }
            let c = value[0]
            return ByteTableKernel(inputSigned: other.type == .int8, count: p.plan.outputCount, isa: isa, inputIndex: index) { x in
                index == 0 ? compute(x, c) : compute(c, x)
            }
        }
        return nil
    }

    struct Prepared {
        var input1: TensorDescription
        var input2: TensorDescription
        var output: TensorDescription
        var plan: BroadcastPlan
    }

    /// Checks the op's tensors (two inputs of one type, an output of that type) and sets the
    /// output's broadcast shape.
    static func prepareShapes(_ operation: BinaryOperation, _ context: inout PrepareContext,
                              types: Set<DataType>) throws(OpError) -> Prepared {
        try context.expect(inputs: 2...2, outputs: 1)
        let a = try context.input(0), b = try context.input(1), output = try context.output(0)
        guard a.type == b.type else {
            throw .unsupportedType("\(operation.name) inputs must have one type, got \(a.type.schemaName) and \(b.type.schemaName)")
        }
        guard types.contains(a.type) else { throw .unsupportedType("\(operation.name) does not support \(a.type.schemaName)") }
        guard output.type == a.type else {
            throw .unsupportedType("\(operation.name) output must be \(a.type.schemaName), got \(output.type.schemaName)")
        }
        let plan = try BroadcastPlan(a.shape, b.shape)
        try context.setOutputShape(0, plan.outputShape)
        return Prepared(input1: a, input2: b, output: try context.output(0), plan: plan)
    }

    /// The FLOAT32 or INT32 kernel, clamped to the fused activation as TFLite's
    /// `CalculateActivationRange` gives it.
    static func unquantizedKernel(_ operation: BinaryOperation, _ prepared: Prepared,
                                  activation: FusedActivation, isa: KernelISA) throws(OpError) -> any Kernel {
        switch prepared.output.type {
        case .float32:
            let range = try activation.floatRange()
            return FloatBinaryKernel(operation: operation, plan: prepared.plan, minimum: range.min, maximum: range.max, isa: isa)
        case .int32:
            let range: (min: Int32, max: Int32) = switch try activation.kind() {
            case .none: (Int32.min, Int32.max)
            case .relu: (0, Int32.max)
            case .relu6: (0, 6)
            case .reluN1To1: (-1, 1)
            }
            return Int32BinaryKernel(operation: operation, plan: prepared.plan, minimum: range.min, maximum: range.max)
        default:
            throw .unsupportedType("\(operation.name) does not support \(prepared.output.type.schemaName)")
        }
    }

    /// The per-tensor quantization of an 8-bit ADD/SUB/MUL tensor, with the zero point checked
    /// against the type's range.
    static func quantization(of tensor: TensorDescription, _ what: String) throws(OpError) -> (scale: Float, zeroPoint: Int32) {
        let (scale, zeroPoint) = try tensor.perTensorQuantization(what)
        guard let range = tensor.type.quantizedRange, (range.min...range.max).contains(zeroPoint) else {
            throw .invalidQuantization("\(what) zero point \(zeroPoint) is outside the \(tensor.type.schemaName) range")
        }
        return (scale, zeroPoint)
    }
}

// MARK: - Kernels

/// An 8-bit binary op as a 256 × 256 table of the reference arithmetic over every pair of
/// input bytes, for outputs large enough that one lookup per element repays building it
/// (`threshold`); smaller outputs compute the arithmetic per element.
final class PairTableKernel: Kernel {
    /// Output elements from which ADD, SUB and MUL build a pair table at prepare.
    static let threshold = 1 << 14

    let plan: BroadcastPlan
    let signed: Bool
    /// `table[byte1 << 8 | byte2]`: the output byte for the inputs whose bit patterns those are.
    let table: AlignedBuffer<UInt8>

    /// `compute(x1, x2)` is the op's reference output for input values x1, x2 (signed for
    /// INT8), already clamped to the output type.
    init(plan: BroadcastPlan, signed: Bool, compute: (Int32, Int32) -> Int32) {
        self.plan = plan
        self.signed = signed
        table = AlignedBuffer(count: 1 << 16, repeating: 0)
        for byte1 in 0..<256 {
            let x1 = signed ? Int32(Int8(truncatingIfNeeded: byte1)) : Int32(byte1)
            let row = table.pointer + byte1 << 8
            for byte2 in 0..<256 {
                let x2 = signed ? Int32(Int8(truncatingIfNeeded: byte2)) : Int32(byte2)
                row[byte2] = UInt8(truncatingIfNeeded: compute(x1, x2))
            }
        }
    }

    struct Lookup: BinaryFunction {
        let table: UnsafePointer<UInt8>
        @inline(__always) func callAsFunction(_ a: UInt8, _ b: UInt8) -> UInt8 { table[Int(a) &<< 8 | Int(b)] }
    }

    func eval(_ args: KernelArguments) {
        // INT8 and UINT8 alike: the table is indexed by bit patterns.
        plan.apply(Lookup(table: table.pointer), args.input(0, as: UInt8.self), args.input(1, as: UInt8.self),
                   args.output(0, as: UInt8.self), runner: args.runner)
    }
}

// MARK: FLOAT32 and INT32

/// `out = clamp(a op b)` in FLOAT32, as TFLite's reference `Add`/`Sub`/`Mul`
/// (`ActivationFunctionWithMinMax`).
package final class FloatBinaryKernel: Kernel {
    let operation: FloatBinaryOperation
    let plan: BroadcastPlan
    let minimum: Float, maximum: Float
    let isa: KernelISA

    init(operation: BinaryOperation, plan: BroadcastPlan, minimum: Float, maximum: Float, isa: KernelISA) {
        self.operation = switch operation {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        }
        self.plan = plan
        self.minimum = minimum
        self.maximum = maximum
        self.isa = isa
    }

    /// The activation range when this is an ADD (which a convolution before it may take over:
    /// `ResidualAddFusing`).
    package var additionRange: (minimum: Float, maximum: Float)? { operation == .add ? (minimum, maximum) : nil }

    /// The activation range when this is a MUL (which a 1×1 convolution after it may take over:
    /// `InputScaleFusing`).
    package var multiplicationRange: (minimum: Float, maximum: Float)? { operation == .mul ? (minimum, maximum) : nil }

    /// Each contiguous segment of the broadcast runs through the chosen level's loop (the Ops
    /// module itself is built for the baseline CPU: 4-lane SSE on x86-64).
    package func eval(_ args: KernelArguments) {
        let context = (self, args.input(0, as: Float.self), args.input(1, as: Float.self), args.output(0, as: Float.self))
        args.runner.forEachRange(count: plan.outputCount, grain: BroadcastPlan.parallelGrain, context: context) { c, elements in
            let (kernel, a, b, out) = c
            let plan = kernel.plan, contiguous1 = plan.innerStride1 != 0, contiguous2 = plan.innerStride2 != 0
            plan.forEachSegment(in: elements) { o, o1, o2, n in
                kernel.isa.floatBinary(kernel.operation, a + o1, contiguous: contiguous1, b + o2, contiguous: contiguous2, out + o, count: n,
                                       minimum: kernel.minimum, maximum: kernel.maximum)
            }
        }
    }
}

/// `out = clamp(a op b)` in INT32, wrapping on overflow as TFLite's `WrappingAdd`/`WrappingMul`.
final class Int32BinaryKernel: Kernel {
    let operation: BinaryOperation
    let plan: BroadcastPlan
    let minimum: Int32, maximum: Int32

    init(operation: BinaryOperation, plan: BroadcastPlan, minimum: Int32, maximum: Int32) {
        self.operation = operation
        self.plan = plan
        self.minimum = minimum
        self.maximum = maximum
    }

    struct Add: BinaryFunction {
        let lo: Int32, hi: Int32
        @inline(__always) func callAsFunction(_ a: Int32, _ b: Int32) -> Int32 { min(max(a &+ b, lo), hi) }
    }
    struct Sub: BinaryFunction {
        let lo: Int32, hi: Int32
        @inline(__always) func callAsFunction(_ a: Int32, _ b: Int32) -> Int32 { min(max(a &- b, lo), hi) }
    }
    struct Mul: BinaryFunction {
        let lo: Int32, hi: Int32
        @inline(__always) func callAsFunction(_ a: Int32, _ b: Int32) -> Int32 { min(max(a &* b, lo), hi) }
    }

    func eval(_ args: KernelArguments) {
        let a = args.input(0, as: Int32.self), b = args.input(1, as: Int32.self), out = args.output(0, as: Int32.self)
        switch operation {
        case .add: plan.apply(Add(lo: minimum, hi: maximum), a, b, out, runner: args.runner)
        case .sub: plan.apply(Sub(lo: minimum, hi: maximum), a, b, out, runner: args.runner)
        case .mul: plan.apply(Mul(lo: minimum, hi: maximum), a, b, out, runner: args.runner)
        }
    }
}

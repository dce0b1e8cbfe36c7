import TFLiteCore

/// How two tensors broadcast against each other (NumPy rules), planned at prepare: the output
/// is walked as `outerCount` runs of `innerCount` elements; within a run each input advances by
/// its inner stride (1, or 0 when broadcast), and each run starts at precomputed offsets.
package struct BroadcastPlan {
    package let outputShape: [Int]
    package let innerCount: Int
    package let innerStride1: Int
    package let innerStride2: Int
    /// Start offset of each run in input 1 and input 2.
    package let offsets1: AlignedBuffer<Int32>
    package let offsets2: AlignedBuffer<Int32>
    /// How many runs cover the output.
    package let runCount: Int

    package init(_ shape1: [Int], _ shape2: [Int]) throws(OpError) {
        let rank = max(shape1.count, shape2.count)
        guard rank <= 6 else { throw .invalidShape("broadcasting supports up to 6 dimensions, got \(rank)") }
        let a = [Int](repeating: 1, count: rank - shape1.count) + shape1
        let b = [Int](repeating: 1, count: rank - shape2.count) + shape2
        var out: [Int] = []
        for i in 0..<rank {
            guard a[i] == b[i] || a[i] == 1 || b[i] == 1 else {
                throw .invalidShape("shapes \(shape1) and \(shape2) do not broadcast")
            }
            out.append(a[i] == 1 ? b[i] : a[i])
        }
        let total = try checkedElementCount(out)
        guard total < Int(Int32.max) else { throw .tooLarge("broadcast output \(out) is too large") }
        outputShape = out
        let count1 = a.reduce(1, *), count2 = b.reduce(1, *)
        if a == b || count1 == 1 || count2 == 1 || rank == 0 {
            // One run over everything; a single-element input stays put.
            innerCount = total
            innerStride1 = count1 == 1 && total != 1 ? 0 : 1
            innerStride2 = count2 == 1 && total != 1 ? 0 : 1
            offsets1 = AlignedBuffer(count: 1, repeating: 0)
            offsets2 = AlignedBuffer(count: 1, repeating: 0)
            runCount = total > 0 ? 1 : 0
            return
        }
        // Runs along the last dimension; element strides of each input per output dimension.
        // Broadcast dimensions do not advance.
        func strides(_ shape: [Int]) -> [Int] {
            zip(shape, rowMajorStrides(shape)).map { $0 == 1 ? 0 : $1 }
        }
        let s1 = strides(a), s2 = strides(b)
        innerCount = out[rank - 1]
        innerStride1 = s1[rank - 1]
        innerStride2 = s2[rank - 1]
        let outer = innerCount == 0 ? 0 : total / innerCount
        guard outer <= 1 << 24 else { throw .tooLarge("broadcasting \(shape1) with \(shape2) needs \(outer) runs") }
        runCount = outer
        offsets1 = AlignedBuffer(count: max(outer, 1), repeating: 0)
        offsets2 = AlignedBuffer(count: max(outer, 1), repeating: 0)
        var index = [Int](repeating: 0, count: rank)
        for run in 0..<outer {
            var o1 = 0, o2 = 0
            for d in 0..<(rank - 1) {
                o1 += index[d] * s1[d]
                o2 += index[d] * s2[d]
            }
            offsets1.pointer[run] = Int32(o1)
            offsets2.pointer[run] = Int32(o2)
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                if index[d] < out[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }

    /// Runs `body(outputOffset, offset1, offset2)` for every run, in order.
    @inline(__always)
    package func forEachRun(_ body: (Int, Int, Int) -> Void) {
        for run in 0..<runCount {
            body(run * innerCount, Int(offsets1.pointer[run]), Int(offsets2.pointer[run]))
        }
    }
}

/// The arithmetic of a binary elementwise op.
package enum BinaryOperation: Sendable {
    case add, sub, mul

    @inline(__always)
    func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: a + b
        case .sub: a - b
        case .mul: a * b
        }
    }
}

/// ADD / SUB / MUL prepare, shared: broadcasting, and per type a float kernel or, for 8-bit
/// types, a 256 × 256 table of TFLite's reference integer arithmetic for every input pair.
enum BinaryArithmetic {
    static func prepare(_ operation: BinaryOperation, _ options: ArithmeticOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...2, outputs: 1)
        let a = try context.input(0), b = try context.input(1), output = try context.output(0)
        guard a.type == b.type, a.type == output.type else {
            throw .unsupportedType("inputs \(a.type.schemaName), \(b.type.schemaName) and output \(output.type.schemaName) must agree")
        }
        let plan = try BroadcastPlan(a.shape, b.shape)
        try context.setOutputShape(0, plan.outputShape)
        switch a.type {
        case .float32:
            let range = try options.activation.floatRange()
            return FloatBinaryKernel(operation: operation, plan: plan, minimum: range.min, maximum: range.max)
        case .int8, .uint8:
            let table = try quantizedTable(operation, a: a, b: b, output: output, activation: try options.activation.kind())
            if a.type == .int8 { return TableBinaryKernel<Int8>(plan: plan, table: table) }
            return TableBinaryKernel<UInt8>(plan: plan, table: table)
        default:
            throw .unsupportedType("\(a.type.schemaName) is not supported")
        }
    }

    /// `table[x1 bits << 8 | x2 bits]` = the reference kernel's output byte for that pair.
    static func quantizedTable(_ operation: BinaryOperation, a: TensorDescription, b: TensorDescription, output: TensorDescription,
                               activation: FusedActivationKind) throws(OpError) -> AlignedBuffer<UInt8> {
        let (s1, z1) = try a.perTensorQuantization("input 1")
        let (s2, z2) = try b.perTensorQuantization("input 2")
        let (so, zo) = try output.perTensorQuantization("output")
        guard let range = output.type.quantizedRange else { throw .unsupportedType("output \(output.type.schemaName)") }
        for zp in [z1, z2, zo] where zp < range.min || zp > range.max {
            throw .invalidQuantization("zero point \(zp) is outside the \(output.type.schemaName) range")
        }
        let (lo, hi) = quantizedActivationRange(activation, scale: so, zeroPoint: zo, qmin: range.min, qmax: range.max)
        let signed = a.type == .int8
        let compute: (Int32, Int32) -> Int32
        switch operation {
        case .add, .sub:
            // add.cc / sub.cc PrepareGeneralSubOp: inputs scaled to a common 2·max scale with 20
            // bits of headroom; SUB negates input 2's multiplier and runs the ADD kernel.
            let leftShift: Int32 = 20
            let twiceMax = Double(2 * max(s1, s2))
            let m1 = QuantizedMultiplier(Double(s1) / twiceMax)
            var m2 = QuantizedMultiplier(Double(s2) / twiceMax)
            if operation == .sub { m2.multiplier = m2.multiplier &* -1 }
            let mo = QuantizedMultiplier(twiceMax / Double(Float(1 << leftShift) * so))
            compute = { x1, x2 in
                let shifted1 = (x1 &- z1) &* (1 << leftShift)
                let shifted2 = (x2 &- z2) &* (1 << leftShift)
                let scaled1 = multiplyByQuantizedMultiplierSmallerThanOneExp(shifted1, m1.multiplier, m1.shift)
                let scaled2 = multiplyByQuantizedMultiplierSmallerThanOneExp(shifted2, m2.multiplier, m2.shift)
                return multiplyByQuantizedMultiplierSmallerThanOneExp(scaled1 &+ scaled2, mo.multiplier, mo.shift) &+ zo
            }
        case .mul:
            // mul.cc: one multiplier for s1·s2/so, all in double.
            let m = QuantizedMultiplier(Double(s1) * Double(s2) / Double(so))
            compute = { x1, x2 in multiplyByQuantizedMultiplier((x1 &- z1) &* (x2 &- z2), m.multiplier, m.shift) &+ zo }
        }
        let table = AlignedBuffer<UInt8>(count: 65536, repeating: 0)
        for i in 0..<256 {
            let x1 = signed ? Int32(Int8(truncatingIfNeeded: i)) : Int32(i)
            for j in 0..<256 {
                let x2 = signed ? Int32(Int8(truncatingIfNeeded: j)) : Int32(j)
                let value = min(max(compute(x1, x2), lo), hi)
                table.pointer[i << 8 | j] = UInt8(truncatingIfNeeded: value)
            }
        }
        return table
    }
}

final class FloatBinaryKernel: Kernel {
    let operation: BinaryOperation
    let plan: BroadcastPlan
    let minimum: Float, maximum: Float

    init(operation: BinaryOperation, plan: BroadcastPlan, minimum: Float, maximum: Float) {
        self.operation = operation
        self.plan = plan
        self.minimum = minimum
        self.maximum = maximum
    }

    func eval(_ args: KernelArguments) {
        let a = args.input(0, as: Float.self), b = args.input(1, as: Float.self), out = args.output(0, as: Float.self)
        let n = plan.innerCount, sa = plan.innerStride1, sb = plan.innerStride2
        let lo = minimum, hi = maximum
        switch operation {
        case .add: plan.forEachRun { o, o1, o2 in Self.run(n, a + o1, sa, b + o2, sb, out + o, lo, hi, +) }
        case .sub: plan.forEachRun { o, o1, o2 in Self.run(n, a + o1, sa, b + o2, sb, out + o, lo, hi, -) }
        case .mul: plan.forEachRun { o, o1, o2 in Self.run(n, a + o1, sa, b + o2, sb, out + o, lo, hi, *) }
        }
    }

    @inline(__always)
    static func run(_ n: Int, _ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>, _ sb: Int, _ out: UnsafeMutablePointer<Float>,
                    _ lo: Float, _ hi: Float, _ f: (Float, Float) -> Float) {
        if sa == 1 && sb == 1 {
            for i in 0..<n { out[i] = min(max(f(a[i], b[i]), lo), hi) }
        } else if sb == 0 {
            let y = b[0]
            for i in 0..<n { out[i] = min(max(f(a[i * sa], y), lo), hi) }
        } else {
            let x = a[0]
            for i in 0..<n { out[i] = min(max(f(x, b[i * sb]), lo), hi) }
        }
    }
}

final class TableBinaryKernel<Element: FixedWidthInteger>: Kernel {
    let plan: BroadcastPlan
    let table: AlignedBuffer<UInt8>

    init(plan: BroadcastPlan, table: AlignedBuffer<UInt8>) {
        self.plan = plan
        self.table = table
    }

    func eval(_ args: KernelArguments) {
        let a = UnsafeRawPointer(args.input(0, as: Element.self)).assumingMemoryBound(to: UInt8.self)
        let b = UnsafeRawPointer(args.input(1, as: Element.self)).assumingMemoryBound(to: UInt8.self)
        let out = UnsafeMutableRawPointer(args.output(0, as: Element.self)).assumingMemoryBound(to: UInt8.self)
        let n = plan.innerCount, sa = plan.innerStride1, sb = plan.innerStride2
        let t = table.pointer
        plan.forEachRun { o, o1, o2 in
            let x = a + o1, y = b + o2, z = out + o
            for i in 0..<n { z[i] = t[Int(x[i &* sa]) &<< 8 | Int(y[i &* sb])] }
        }
    }
}

import TFLiteCore

/// MEAN over the constant `axes` input (negative axes allowed, duplicates ignored), keeping
/// reduced dimensions as 1 when `keep_dims`. FLOAT32; INT8 and UINT8 as LiteRT's reference
/// kernel computes it (an integer sum requantized by one multiplier that folds in 1/count).
package enum Mean {
    package static func prepare(_ options: ReducerOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...2, outputs: 1)
        let input = try context.input(0), axesTensor = try context.input(1), output = try context.output(0)
        guard [.float32, .int8, .uint8].contains(input.type), output.type == input.type else {
            throw .unsupportedType("MEAN of \(input.type.schemaName) to \(output.type.schemaName) is not supported")
        }
        guard let rawAxes = axesTensor.constantIntegers() else { throw .notConstant("the axes of MEAN must be constant") }
        var axes: [Int] = []
        for axis in rawAxes {
            let resolved = axis < 0 ? axis + input.rank : axis
            guard resolved >= 0, resolved < input.rank else { throw .invalidOptions("axis \(axis) is out of range for rank \(input.rank)") }
            if !axes.contains(resolved) { axes.append(resolved) }
        }
        var shape: [Int] = []
        for (d, size) in input.shape.enumerated() {
            if axes.contains(d) { if options.keepDims { shape.append(1) } } else { shape.append(size) }
        }
        try context.setOutputShape(0, shape)
        let plan = ReductionPlan(shape: input.shape, axes: axes)
        if input.type == .float32 { return MeanKernel(plan: plan, isa: context.kernelISA) }
        let (si, zi) = try input.perTensorQuantization("input")
        let (so, zo) = try output.perTensorQuantization("output")
        guard let range = input.type.quantizedRange else { throw .unsupportedType("\(input.type.schemaName)") }
        // LiteRT's reference QuantizedMeanOrSum: Σ(x − zp_in) times s_in/s_out with the
        // 1/count folded into the multiplier (shifted up by ⌊log2 count⌋ first, as LiteRT does),
        // plus zp_out, clamped to the type.
        let base = QuantizedMultiplier(Double(si) / Double(so))
        let n = Int64(plan.reducedCount)
        var shift = n > 0 ? 63 - UInt64(n).leadingZeroBitCount : 0
        shift = min(shift, 32)
        shift = min(shift, 31 + base.shift)
        let folded = n > 0 ? QuantizedMultiplier(multiplier: Int32(truncatingIfNeeded: (Int64(base.multiplier) << Int64(max(shift, 0))) / n),
                                                 shift: base.shift - shift) : base
        let mode = QuantizedMeanMode(multiplier: folded, inputZeroPoint: zi, outputZeroPoint: zo, count: Int32(clamping: n),
                                     min: range.min, max: range.max)
        return QuantizedMeanKernel(signed: input.type == .int8, plan: plan, mode: mode, isa: context.kernelISA)
    }
}

/// Which input elements feed which output element: the kept dimensions (in order) walk the
/// outputs, the reduced dimensions walk the elements summed into each. Nothing proportional to
/// the tensor is stored, so a hostile shape costs no memory at prepare time.
struct ReductionPlan {
    let keptSizes: [Int], keptStrides: [Int]
    let reducedSizes: [Int], reducedStrides: [Int]
    let reducedCount: Int
    let outputCount: Int
    /// When the reduced dimensions are adjacent, the input is `[outer][reduced][inner]` and the
    /// outputs `[outer][inner]`: sums run over contiguous rows of `inner` values (vectorisable),
    /// each output still summing its inputs in increasing index order.
    let blocks: (outer: Int, reduced: Int, inner: Int)?

    init(shape: [Int], axes: [Int]) {
        let strides = rowMajorStrides(shape)
        let kept = (0..<shape.count).filter { !axes.contains($0) }
        let reduced = axes.sorted()
        keptSizes = kept.map { shape[$0] }
        keptStrides = kept.map { strides[$0] }
        reducedSizes = reduced.map { shape[$0] }
        reducedStrides = reduced.map { strides[$0] }
        reducedCount = reducedSizes.reduce(1, *)
        outputCount = keptSizes.reduce(1, *)
        if let first = reduced.first, let last = reduced.last, last - first + 1 == reduced.count {
            blocks = (shape[..<first].reduce(1, *), reducedCount, shape[(last + 1)...].reduce(1, *))
        } else {
            blocks = nil
        }
    }

    /// Parts a global pool's rows are summed in (`globalPool`). Fixed, never the thread count,
    /// so the sums (floats) are the same on any number of threads.
    static let poolParts = 8

    /// A global pool — one outer block (MobileNet's squeeze: all pixels of each channel) — of at
    /// least `poolParts` rows and 4096 elements: `(rows, channels, parts)`; nil for others,
    /// which take the contiguous path on one thread.
    var globalPool: (rows: Int, channels: Int, parts: Int)? {
        guard let blocks, blocks.outer == 1, blocks.reduced >= Self.poolParts, blocks.reduced * blocks.inner >= 4096 else { return nil }
        return (blocks.reduced, blocks.inner, Self.poolParts)
    }

    /// Parts a global pool's rows are summed in when `requested` are asked for: 1 ... `poolParts`.
    static func globalPoolParts(_ requested: Int) -> Int { min(max(requested, 1), poolParts) }

    /// Adds each of the first `parts` parts' sums (rows of `partials`; `parts` as
    /// `globalPoolSums` took) into the first row, part by part in order.
    @inline(__always)
    func combineGlobalPoolSums<Sum>(_ partials: UnsafeMutablePointer<Sum>, parts: Int, add: (Sum, Sum) -> Sum) {
        guard let pool = globalPool else { return }
        for part in 1..<parts {
            let row = partials + part * pool.channels
            for c in 0..<pool.channels { partials[c] = add(partials[c], row[c]) }
        }
    }

    /// Scratch eval needs: one accumulator per inner element on the contiguous path (per part
    /// and inner element for a global pool), else the index counters of the general walk.
    func scratchByteCount<Accumulator>(_: Accumulator.Type) -> Int {
        if let pool = globalPool { return pool.parts * pool.channels * MemoryLayout<Accumulator>.stride }
        return max(8, blocks.map { $0.inner * MemoryLayout<Accumulator>.stride } ?? (keptSizes.count + reducedSizes.count) * MemoryLayout<Int>.stride)
    }

    /// A global pool's sums: the rows in `parts` consecutive parts (1 ... `globalPool.parts`:
    /// always that many for floats, whose sums depend on it; one per thread for integers,
    /// `globalPoolParts`), each
    /// summed in order into its row of `partials` (`parts × channels`); the threads take parts in order,
    /// so each sums the pixels it wrote in the op before (rows split the same way), where
    /// splitting the channels would make every thread read the other's pixels.
    /// `combineGlobalPoolSums` then adds the parts, on the calling thread.
    @inline(__always)
    func globalPoolSums<Element: PoolElement>(_ input: UnsafePointer<Element>, partials: UnsafeMutablePointer<Element.Sum>, parts: Int,
                                              runner: ParallelRunner, isa: KernelISA) {
        guard let pool = globalPool else { return }
        runner.forEachRange(count: parts, context: (input, partials, pool, isa, parts)) { c, range in
            let (input, partials, pool, isa, parts) = c
            for part in range {
                let first = pool.rows * part / parts, end = pool.rows * (part + 1) / parts
                Element.sumRows(input + first * pool.channels, rows: end - first, channels: pool.channels, into: partials + part * pool.channels,
                                isa: isa)
            }
        }
    }

    /// Calls `body(outputIndex, sum)` for every output with the sums taken over contiguous rows
    /// into `accumulators` (inner elements), or by `forEachOutput` when the axes are not adjacent.
    @inline(__always)
    func forEachOutput<Element, Accumulator>(_ input: UnsafePointer<Element>, accumulators: UnsafeMutableRawPointer?, zero: Accumulator,
                                             add: (Accumulator, Element) -> Accumulator, _ body: (Int, Accumulator) -> Void) {
        guard let raw = accumulators else { return }
        guard let blocks else {
            forEachOutput(counters: raw.assumingMemoryBound(to: Int.self), zero: zero, add: { add($0, input[$1]) }, body)
            return
        }
        let sums = raw.assumingMemoryBound(to: Accumulator.self)
        for outer in 0..<blocks.outer {
            Self.sumBlock(input + outer * blocks.reduced * blocks.inner, reduced: blocks.reduced, inner: blocks.inner, range: 0..<blocks.inner,
                          into: sums, zero: zero, add: add)
            for c in 0..<blocks.inner { body(outer * blocks.inner + c, sums[c]) }
        }
    }

    /// The sums of inner values `range` of one `[reduced][inner]` block starting at `block`,
    /// each over the reduced rows in order, into `sums[range]`.
    @inline(__always)
    static func sumBlock<Element, Accumulator>(_ block: UnsafePointer<Element>, reduced: Int, inner: Int, range: Range<Int>,
                                               into sums: UnsafeMutablePointer<Accumulator>, zero: Accumulator,
                                               add: (Accumulator, Element) -> Accumulator) {
        for c in range { sums[c] = zero }
        var row = block
        for _ in 0..<reduced {
            for c in range { sums[c] = add(sums[c], row[c]) }
            row += inner
        }
    }

    /// Calls `body(outputIndex, sum)` for every output, the sum taken by `add` over its inputs;
    /// `counters` holds one index per kept and reduced dimension (no allocation in eval).
    @inline(__always)
    func forEachOutput<Accumulator>(counters: UnsafeMutablePointer<Int>, zero: Accumulator, add: (Accumulator, Int) -> Accumulator,
                                    _ body: (Int, Accumulator) -> Void) {
        guard reducedCount > 0 || outputCount > 0 else { return }
        let keptIndex = counters, reducedIndex = counters + keptSizes.count
        for d in 0..<keptSizes.count { keptIndex[d] = 0 }
        var base = 0
        for output in 0..<outputCount {
            var sum = zero
            if reducedCount > 0 {
                for d in 0..<reducedSizes.count { reducedIndex[d] = 0 }
                var offset = base
                for _ in 0..<reducedCount {
                    sum = add(sum, offset)
                    var d = reducedSizes.count - 1
                    while d >= 0 {
                        reducedIndex[d] += 1
                        offset += reducedStrides[d]
                        if reducedIndex[d] < reducedSizes[d] { break }
                        offset -= reducedStrides[d] * reducedSizes[d]
                        reducedIndex[d] = 0
                        d -= 1
                    }
                }
            }
            body(output, sum)
            var d = keptSizes.count - 1
            while d >= 0 {
                keptIndex[d] += 1
                base += keptStrides[d]
                if keptIndex[d] < keptSizes[d] { break }
                base -= keptStrides[d] * keptSizes[d]
                keptIndex[d] = 0
                d -= 1
            }
        }
    }
}

/// An element type `globalPoolSums` sums: FLOAT32 into floats, INT8 and UINT8 into Int32
/// (wrapping, as the reference's int32 accumulator).
protocol PoolElement {
    associatedtype Sum
    /// Each channel's sum over `rows` rows of `channels` values into `sums`, each channel's
    /// rows in order.
    static func sumRows(_ input: UnsafePointer<Self>, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Sum>, isa: KernelISA)
}

extension PoolElement where Self: FixedWidthInteger, Sum == Int32 {
    @inline(__always)
    static func sumRows(_ input: UnsafePointer<Self>, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Int32>, isa: KernelISA) {
        sums.initialize(repeating: 0, count: channels)
        isa.addByteRows(input, rows: rows, channels: channels, into: sums)
    }
}

extension Int8: PoolElement { typealias Sum = Int32 }
extension UInt8: PoolElement { typealias Sum = Int32 }

extension Float: PoolElement {
    /// The instruction-set level's loop (`KernelISA.sumRows`) rather than the `Ops` build's
    /// (SSE2 on x86-64): the same sums, each channel's rows in order from +0 (MEAN was 2.6 % of
    /// MobileNetV3-small float's time).
    @inline(__always)
    static func sumRows(_ input: UnsafePointer<Float>, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Float>, isa: KernelISA) {
        isa.sumRows(input, rows: rows, channels: channels, into: sums)
    }
}

final class MeanKernel: Kernel {
    let plan: ReductionPlan
    let isa: KernelISA

    init(plan: ReductionPlan, isa: KernelISA) {
        self.plan = plan
        self.isa = isa
    }

    var scratchByteCount: Int { plan.scratchByteCount(Float.self) }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
        let count = Float(plan.reducedCount)
        if let pool = plan.globalPool, let partials = args.scratch?.assumingMemoryBound(to: Float.self) {
            plan.globalPoolSums(input, partials: partials, parts: pool.parts, runner: args.runner, isa: isa)
            plan.combineGlobalPoolSums(partials, parts: pool.parts, add: +)
            for c in 0..<pool.channels { output[c] = partials[c] / count }
            return
        }
        plan.forEachOutput(input, accumulators: args.scratch, zero: Float(0), add: { $0 + $1 }) { o, sum in output[o] = sum / count }
    }
}

/// How a quantized mean turns a sum into an output value.
struct QuantizedMeanMode {
    let multiplier: QuantizedMultiplier
    let inputZeroPoint: Int32, outputZeroPoint: Int32, count: Int32, min: Int32, max: Int32

    /// The output value of a sum of `count` input values: the sum less zp_in · count through
    /// the multiplier, plus zp_out, clamped.
    @inline(__always)
    func value(_ sum: Int32) -> Int32 {
        Swift.min(Swift.max(multiplier.apply(sum &- inputZeroPoint &* count) &+ outputZeroPoint, self.min), self.max)
    }
}

final class QuantizedMeanKernel: Kernel {
    let signed: Bool
    let plan: ReductionPlan
    let mode: QuantizedMeanMode
    let isa: KernelISA
    /// The multiplier in 16 lanes, for a global pool's outputs 16 at a time (right shifts up to
    /// 31, which the lane arithmetic takes; nil otherwise: one at a time).
    let lanes: RequantizationBuffers?

    init(signed: Bool, plan: ReductionPlan, mode: QuantizedMeanMode, isa: KernelISA) {
        self.signed = signed
        self.plan = plan
        self.mode = mode
        self.isa = isa
        lanes = plan.globalPool != nil && PreparedMultiplier(mode.multiplier).rightShift <= 31
            ? RequantizationBuffers(Array(repeating: mode.multiplier, count: 16), paddedTo: 16) : nil
    }

    var scratchByteCount: Int { plan.scratchByteCount(Int32.self) }

    func eval(_ args: KernelArguments) {
        // Dispatch once to code specialized for the element type (a generic class's methods
        // would run unspecialized).
        if signed { run(args, Int8.self) } else { run(args, UInt8.self) }
    }

    @inline(__always)
    private func run<Element: FixedWidthInteger & PoolElement>(_ args: KernelArguments, _: Element.Type) where Element.Sum == Int32 {
        let input = args.input(0, as: Element.self), output = args.output(0, as: Element.self)
        let m = mode
        if let pool = plan.globalPool, let partials = args.scratch?.assumingMemoryBound(to: Int32.self) {
            // Integer sums are the same in any order: one part per thread.
            let parts = ReductionPlan.globalPoolParts(args.runner.threadCount)
            plan.globalPoolSums(input, partials: partials, parts: parts, runner: args.runner, isa: isa)
            plan.combineGlobalPoolSums(partials, parts: parts, add: &+)
            if let lanes {
                // The reference's value for each channel: MultiplyByQuantizedMultiplier of
                // sum − zp_in · count, plus zp_out, clamped — 16 channels per row of the sums.
                let offset = m.inputZeroPoint &* m.count
                for c in 0..<pool.channels { partials[c] = partials[c] &- offset }
                let whole = pool.channels / 16 * 16
                isa.requantizeRows(lanes.vectors, partials, rows: whole / 16, stride: 16, count: 16, outputZeroPoint: m.outputZeroPoint,
                                   minimum: m.min, maximum: m.max, into: output)
                if whole < pool.channels {
                    isa.requantizeRows(lanes.vectors, partials + whole, rows: 1, stride: 16, count: pool.channels - whole,
                                       outputZeroPoint: m.outputZeroPoint, minimum: m.min, maximum: m.max, into: output + whole)
                }
                return
            }
            for c in 0..<pool.channels { output[c] = Element(truncatingIfNeeded: m.value(partials[c])) }
            return
        }
        plan.forEachOutput(input, accumulators: args.scratch, zero: Int32(0), add: { $0 &+ Int32($1) }) { o, sum in
            output[o] = Element(truncatingIfNeeded: m.value(sum))
        }
    }
}

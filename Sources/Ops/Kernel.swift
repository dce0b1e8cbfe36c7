import Dispatch
import TFLiteCore

/// A prepared op: everything the constants allow was computed at prepare time; `eval` only
/// computes. Kernels are classes so they can own packed weights and precomputed tables.
package protocol Kernel: AnyObject {
    /// Scratch bytes `eval` needs (for all threads together); the interpreter supplies them
    /// 64-byte aligned in `KernelArguments.scratch`. Default 0.
    var scratchByteCount: Int { get }
    /// False for ops whose output depends on input shapes only (SHAPE): the interpreter can
    /// then fold them at prepare time. Default true.
    var readsInputData: Bool { get }
    /// Computes the outputs. Does not throw and does not allocate.
    func eval(_ args: KernelArguments)
}

/// A FLOAT32 kernel that can apply HARD_SWISH to the values it stores (after its own
/// activation), while they are still in cache: the interpreter then lets it write a
/// HARD_SWISH's output and skips that op, when the HARD_SWISH alone reads this kernel's output.
/// The values are those the two ops compute one after the other.
package protocol HardSwishFusing: Kernel {
    /// Applies HARD_SWISH to every stored value from now on.
    func fuseHardSwish()
}

/// A FLOAT32 convolution whose output only an elementwise ADD reads (MobileNet's residual
/// connections) adds the ADD's other input to each tile it stores, applies the ADD's
/// activation and writes the ADD's output; the ADD does not run. The values are those of the
/// two ops run one after the other: the same float addition, in the same operand order, and
/// the same clamp.
package protocol ResidualAddFusing: Kernel {
    /// Adds input `input` of this kernel's step (the other addend, the output's shape) to every
    /// value it stores — as `addend + value` when `addendFirst` (the ADD's first input), else
    /// `value + addend` — then clamps to [minimum, maximum]. False, and nothing changes, when
    /// this kernel cannot.
    func fuseResidualAdd(input: Int, addendFirst: Bool, minimum: Float, maximum: Float) -> Bool
}

/// An INT8/UINT8 convolution whose output only a same-shape ADD reads (MobileNet's residual
/// connections) runs that ADD on each range of rows as soon as it has stored them, while they
/// are in cache, and writes the ADD's output (its own bytes first, then the sums in place); the
/// ADD does not run. The bytes are those of the two ops run one after the other: the ADD's own
/// arithmetic (`VectorQuantizedAddKernel.addElements`) on the same inputs.
package protocol QuantizedResidualAddFusing: Kernel {
    /// Runs `add` — an ADD kernel of the output's shape — after every range of rows, its other
    /// addend being input `input` of this kernel's step, first in the ADD when `addendFirst`.
    /// False, and nothing changes, when this kernel or `add` cannot.
    func fuseResidualAdd(_ add: any Kernel, input: Int, addendFirst: Bool) -> Bool
}

/// A FLOAT32 1×1 convolution whose input only a MUL by a per-channel vector writes
/// (MobileNetV3's squeeze-and-excite scaling) multiplies each row of its input by that vector as
/// it takes the row, in a small buffer; the MUL does not run and its output gets no memory. The
/// values are those of the two ops run one after the other (the same float product and clamp).
package protocol InputScaleFusing: Kernel {
    /// Reads its input 0 multiplied, channel by channel, by input `input` of this kernel's step
    /// (one value per input channel) — as `scale · x` when `scaleFirst` (the MUL's first
    /// input), else `x · scale` — clamped to [minimum, maximum] (the MUL's activation). False,
    /// and nothing changes, when this kernel cannot.
    func fuseInputScale(input: Int, scaleFirst: Bool, minimum: Float, maximum: Float) -> Bool
}

/// The input normalization `x · scale + offset` of Keras' MobileNetV3 (a FLOAT32 MUL by a
/// constant, then an ADD of a constant, each with its activation's clamp), as
/// `InputAffineFusing` takes it over.
package struct InputAffine: Sendable {
    package var scale: Float, scaleFirst: Bool, mulMinimum: Float, mulMaximum: Float
    package var offset: Float, offsetFirst: Bool, addMinimum: Float, addMaximum: Float

    package init(scale: Float, scaleFirst: Bool, mulMinimum: Float, mulMaximum: Float,
                 offset: Float, offsetFirst: Bool, addMinimum: Float, addMaximum: Float) {
        self.scale = scale; self.scaleFirst = scaleFirst; self.mulMinimum = mulMinimum; self.mulMaximum = mulMaximum
        self.offset = offset; self.offsetFirst = offsetFirst; self.addMinimum = addMinimum; self.addMaximum = addMaximum
    }

    /// `count` values of `x` through the MUL then the ADD into `out` (which may be `x`): the
    /// two ops' own loops (`floatBinary`, the constant as the side that is not contiguous, in
    /// each op's operand order), so the same floats as the ops.
    func apply(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int, isa: KernelISA) {
        withUnsafePointer(to: scale) { scale in
            isa.floatBinary(.mul, scaleFirst ? scale : x, contiguous: !scaleFirst, scaleFirst ? x : scale, contiguous: scaleFirst, out,
                            count: count, minimum: mulMinimum, maximum: mulMaximum)
        }
        withUnsafePointer(to: offset) { offset in
            let y = UnsafePointer(out)
            isa.floatBinary(.add, offsetFirst ? offset : y, contiguous: !offsetFirst, offsetFirst ? y : offset, contiguous: offsetFirst, out,
                            count: count, minimum: addMinimum, maximum: addMaximum)
        }
    }
}

/// A FLOAT32 convolution run directly on few input channels (a network's first layer) whose
/// input only an input normalization writes (`InputAffine`) reads the normalization's input
/// instead, and normalizes the input rows each output row needs into a small buffer as it
/// takes them; the MUL and the ADD do not run and their outputs get no memory. The values are
/// those of the three ops run one after the other (padding stays zero: only real pixels are
/// normalized, as the ops normalize only real pixels).
package protocol InputAffineFusing: Kernel {
    /// Takes over `affine`; false, and nothing changes, when this kernel cannot.
    func fuseInputAffine(_ affine: InputAffine) -> Bool
}

/// A FLOAT32 convolution that can compute its output one row at a time (every column and
/// channel of it), for a depthwise convolution that reads the rows as they are made
/// (`DepthwiseAfterConvolutionKernel`).
package protocol ConvolutionRowProducing: Kernel {
    /// The output as rows (batches × height) of `width` pixels of `channels` values, when this
    /// convolution can produce it row by row; nil otherwise.
    var producedRows: (rows: Int, width: Int, channels: Int)? { get }
    /// Scratch bytes `produceRow` needs, per thread (0: none).
    var rowScratchBytes: Int { get }
    /// Computes output row `row` (batch · height + y) from `input` into `out`, exactly the
    /// values `eval` stores there (any fused HARD_SWISH included); `scratch`: the thread's
    /// `rowScratchBytes`.
    func produceRow(_ row: Int, input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutableRawPointer?)
    /// Whether `produceBlockedRow` can run.
    var producesBlockedRows: Bool { get }
    /// `produceRow` with the row in blocks of 16 channels (`ChannelBlocked`): channel c of
    /// pixel x at `out[c / 16 · blockStride + x · 16 + c % 16]`.
    func produceBlockedRow(_ row: Int, input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, blockStride: Int)
}

/// The largest 1×1 weights (bytes) a convolution takes whole for every output row it produces.
let rowProducingWeightBytes = 256 * 1024

extension Kernel {
    package var scratchByteCount: Int { 0 }
    package var readsInputData: Bool { true }
}

/// The memory an op runs on: a pointer per input (nil for an omitted optional input) and per
/// output, in the op's order, plus scratch and the thread pool.
package struct KernelArguments {
    package let inputs: UnsafeBufferPointer<UnsafeRawPointer?>
    package let outputs: UnsafeBufferPointer<UnsafeMutableRawPointer>
    package let scratch: UnsafeMutableRawPointer?
    package let runner: ParallelRunner

    package init(inputs: UnsafeBufferPointer<UnsafeRawPointer?>, outputs: UnsafeBufferPointer<UnsafeMutableRawPointer>,
                 scratch: UnsafeMutableRawPointer?, runner: ParallelRunner) {
        self.inputs = inputs
        self.outputs = outputs
        self.scratch = scratch
        self.runner = runner
    }

    /// Input `index` as typed elements. Prepare guaranteed the type and that the input exists.
    @inline(__always)
    package func input<T>(_ index: Int, as _: T.Type) -> UnsafePointer<T> {
        inputs[index].unsafelyUnwrapped.assumingMemoryBound(to: T.self)
    }

    /// Input `index` if the op was given it (optional inputs are nil when omitted).
    @inline(__always)
    package func optionalInput<T>(_ index: Int, as _: T.Type) -> UnsafePointer<T>? {
        index < inputs.count ? inputs[index]?.assumingMemoryBound(to: T.self) : nil
    }

    @inline(__always)
    package func output<T>(_ index: Int, as _: T.Type) -> UnsafeMutablePointer<T> {
        outputs[index].assumingMemoryBound(to: T.self)
    }
}

/// Runs independent tasks on up to `threadCount` threads: the caller and, above one thread, a
/// `WorkerPool` kept for the runner's lifetime.
///
/// A body is handed what it works on as `context` and must capture nothing itself (no local
/// variable, no `self`): a capture-free closure is a plain function pointer, and then running
/// it on the threads allocates nothing, where a capturing closure would be boxed on the heap on
/// every call. `AllocationTests` holds every op to that.
package struct ParallelRunner: Sendable {
    package let threadCount: Int
    private let pool: WorkerPool?

    /// Ranges per thread a parallel loop is cut into, so that the threads can even out.
    static let blocksPerThread = 4

    /// Multiply-adds below which a matrix multiply stays on one thread: about a microsecond of
    /// work, against the ~1 µs that handing a loop to the threads costs. MobileNetV3's
    /// squeeze-and-excite 1×1 convolutions on one pixel (up to 576 × 144 in V3-small, 960 × 240
    /// in V3-large) are above it: each weight is used once, so they wait on the weights coming
    /// from beyond the level-2 cache, and two threads each bring in half (at 2^18 they stayed on
    /// one thread: V3-large float's 18 took 0.45 ms of 3.4 on two threads, 0.35 at 2^16).
    static let minimumParallelWork = 1 << 16

    /// Weights (bytes) from which a matrix multiply of few tiles splits its panels
    /// (`forEachTileBlock`).
    static let panelSplitWeightBytes = 256 * 1024

    package init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        pool = self.threadCount > 1 ? WorkerPool(threads: self.threadCount) : nil
    }

    /// Calls `body(context, task)` for each task in 0..<tasks, spread over the threads.
    /// Returns when all are done.
    package func forEach<Context>(tasks: Int, context: Context, _ body: @escaping (Context, Int) -> Void) {
        guard let pool, tasks > 1 else {
            for task in 0..<tasks { body(context, task) }
            return
        }
        pool.run(count: tasks, TaskJob(context: context, body: body))
    }

    /// Splits `0..<count` into contiguous ranges of at least `grain` items — up to
    /// `blocksPerThread` per thread, dealt to the threads in order (each starts on its own
    /// consecutive part, the same part op after op; a thread that finishes early takes
    /// ranges from the end of a slower one's) — and runs `body(context, range)` on each.
    package func forEachRange<Context>(count: Int, grain: Int = 1, context: Context,
                                       _ body: @escaping (Context, Range<Int>) -> Void) {
        let split = ChunkSplit(count: count, grain: grain, threads: threadCount, blocks: Self.blocksPerThread)
        guard let pool, split.chunks > 1 else {
            if count > 0 { body(context, 0..<count) }
            return
        }
        pool.run(count: split.chunks, RangeJob(split: split, context: context, body: body))
    }

    /// Like `forEachRange`, also passing the number (< `threadCount`) of the thread that runs
    /// the range, so it can use that thread's slice of scratch memory:
    /// `body(context, thread, range)`. One thread's ranges never run at the same time; the
    /// ranges a thread is first dealt come to it in increasing order.
    package func forEachChunk<Context>(count: Int, grain: Int = 1, context: Context,
                                       _ body: @escaping (Context, _ thread: Int, _ range: Range<Int>) -> Void) {
        let split = ChunkSplit(count: count, grain: grain, threads: threadCount, blocks: Self.blocksPerThread)
        guard let pool, split.chunks > 1 else {
            if count > 0 { body(context, 0, 0..<count) }
            return
        }
        pool.run(count: split.chunks, ChunkJob(split: split, context: context, body: body))
    }

    /// Spreads a matrix multiply of `tiles` row tiles × `panels` column panels over the
    /// threads: by rows (chunks of tiles, as `forEachChunk`; single tiles when there are fewer
    /// than four per thread) when every thread gets two tiles, else — one pixel, a batch of one
    /// — by ranges of panels (even-sized, for the two-panel kernels), each chunk taking every
    /// tile. Rows even on a 7×7 image (7 tiles, 25 and 24 pixels on two threads): split by
    /// panels, every thread read the half of the input the other had written in the op before,
    /// which cost more than the uneven tiles (two threads, paired: MobileNetV3-small float
    /// 0.94–0.99, V3-large 0.96, V2 0.97–0.99 of the time with the panel split).
    /// With `weightBytes` of at least `panelSplitWeightBytes` and five times the input's
    /// `inputBytes`, fewer than four tiles per thread also split by panels: each thread then
    /// streams half the weights, where each of its tiles took a pass over all of them, and
    /// reads the whole input, half of it from the other core's cache (MobileNetV2 int8's
    /// 7×7×320 → 1280, 410 KB: ~37 → ~30 µs on two threads; float's 7×7×160 → 960 41 → 36 µs,
    /// but its 7×7×960 → 160, with 3.3 times its input in weights, 41 → 43–60; the int8 7×7
    /// layers with 154 KB of weights were slower split that way).
    /// `body(context, thread, tiles, panels)`, `thread` as in `forEachChunk`.
    /// `work` (multiply-adds, `multiplyAdds(…)`) below `minimumParallelWork` runs on the
    /// calling thread alone.
    package func forEachTileBlock<Context>(tiles: Int, panels: Int, tileGrain: Int, work: Int, weightBytes: Int = 0, inputBytes: Int = 0,
                                           context: Context,
                                           _ body: @escaping (Context, _ thread: Int, _ tiles: Range<Int>, _ panels: Range<Int>) -> Void) {
        guard work >= Self.minimumParallelWork else {
            if tiles > 0 && panels > 0 { body(context, 0, 0..<tiles, 0..<panels) }
            return
        }
        let heavyWeights = weightBytes >= Self.panelSplitWeightBytes && weightBytes / 5 >= inputBytes
        let fewTiles = tiles < 2 * threadCount || (tiles < 4 * threadCount && heavyWeights)
        let byPanels = threadCount > 1 && fewTiles && panels >= 2 * threadCount
        // Split by panels, a range re-reads every input row: one range per thread.
        let split = byPanels ? ChunkSplit(count: (panels + 1) / 2, grain: 1, threads: threadCount, blocks: 1)
                             : ChunkSplit(count: tiles, grain: tiles < 4 * threadCount ? 1 : tileGrain, threads: threadCount, blocks: Self.blocksPerThread)
        let job = TileBlockJob(split: split, byPanels: byPanels, tiles: tiles, panels: panels, context: context, body: body)
        guard let pool, split.chunks > 1 else {
            if split.count > 0 { job.run(0, participant: 0) }
            return
        }
        pool.run(count: split.chunks, job)
    }
}

/// a · b · c, or Int.max when that overflows (not variadic: a variadic call allocates its
/// array, and `eval` must not allocate).
@inline(__always)
package func multiplyAdds(_ a: Int, _ b: Int, _ c: Int) -> Int {
    let (ab, first) = a.multipliedReportingOverflow(by: b)
    let (abc, second) = ab.multipliedReportingOverflow(by: c)
    return first || second ? .max : abc
}

/// `count` items in `chunks` contiguous ranges of at least `grain` items (`blocks` per thread
/// at most).
private struct ChunkSplit {
    let count: Int
    let chunks: Int

    init(count: Int, grain: Int, threads: Int, blocks: Int) {
        self.count = count
        chunks = threads > 1 ? max(1, min(threads * blocks, count / max(grain, 1))) : 1
    }

    func range(_ chunk: Int) -> Range<Int> { count * chunk / chunks..<count * (chunk + 1) / chunks }
}

private struct TaskJob<Context>: WorkerPool.Job {
    let context: Context
    let body: (Context, Int) -> Void
    func run(_ task: Int, participant: Int) { body(context, task) }
}

private struct RangeJob<Context>: WorkerPool.Job {
    let split: ChunkSplit
    let context: Context
    let body: (Context, Range<Int>) -> Void
    func run(_ chunk: Int, participant: Int) {
        let range = split.range(chunk)
        if !range.isEmpty { body(context, range) }
    }
}

private struct ChunkJob<Context>: WorkerPool.Job {
    let split: ChunkSplit
    let context: Context
    let body: (Context, Int, Range<Int>) -> Void
    func run(_ chunk: Int, participant: Int) {
        let range = split.range(chunk)
        if !range.isEmpty { body(context, participant, range) }
    }
}

/// A chunk is a range of tiles with every panel, or (`byPanels`) every tile with a range of
/// panel pairs.
private struct TileBlockJob<Context>: WorkerPool.Job {
    let split: ChunkSplit
    let byPanels: Bool
    let tiles: Int
    let panels: Int
    let context: Context
    let body: (Context, Int, Range<Int>, Range<Int>) -> Void
    func run(_ chunk: Int, participant: Int) {
        let range = split.range(chunk)
        guard !range.isEmpty else { return }
        if byPanels {
            body(context, participant, 0..<tiles, min(panels, range.lowerBound * 2)..<min(panels, range.upperBound * 2))
        } else {
            body(context, participant, range, 0..<panels)
        }
    }
}

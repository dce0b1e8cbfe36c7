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
package struct ParallelRunner: Sendable {
    package let threadCount: Int
    private let pool: WorkerPool?

    package init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        pool = self.threadCount > 1 ? WorkerPool(threads: self.threadCount) : nil
    }

    /// Calls `body(task)` for each task in 0..<tasks, spread over the threads. Returns when
    /// all are done.
    package func forEach(tasks: Int, _ body: (Int) -> Void) {
        guard let pool, tasks > 1 else {
            for task in 0..<tasks { body(task) }
            return
        }
        pool.run(count: tasks, body)
    }

    /// Splits `0..<count` into at most `threadCount` contiguous ranges of at least `grain`
    /// items and runs `body` on each.
    package func forEachRange(count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        forEachChunk(count: count, grain: grain) { _, range in body(range) }
    }

    /// Spreads a matrix multiply of `tiles` row tiles × `panels` column panels over the
    /// threads: by rows (`forEachChunk` over tiles) when there are enough tiles, else — small
    /// images with many channels — by ranges of panels (even-sized, for the two-panel
    /// kernels), each chunk taking every tile. `body(chunk, tiles, panels)`.
    package func forEachTileBlock(tiles: Int, panels: Int, tileGrain: Int,
                                  _ body: (_ chunk: Int, _ tiles: Range<Int>, _ panels: Range<Int>) -> Void) {
        if threadCount > 1 && tiles < 4 * threadCount && panels >= 2 * threadCount {
            let pairs = (panels + 1) / 2
            let parts = min(threadCount, pairs)
            forEach(tasks: parts) { part in
                let lo = min(panels, pairs * part / parts * 2), hi = min(panels, pairs * (part + 1) / parts * 2)
                if lo < hi { body(part, 0..<tiles, lo..<hi) }
            }
        } else {
            forEachChunk(count: tiles, grain: tileGrain) { chunk, range in body(chunk, range, 0..<panels) }
        }
    }

    /// Like `forEachRange`, also passing the chunk's number (< `threadCount`), so each chunk
    /// can use its own slice of scratch memory.
    package func forEachChunk(count: Int, grain: Int = 1, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        let chunks = max(1, min(threadCount, count / max(grain, 1)))
        if chunks <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        forEach(tasks: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(chunk, start..<end) }
        }
    }
}

import CAtomics
import Dispatch
import Foundation

/// Threads kept for the life of an interpreter, so each parallel op costs a memory write and
/// no thread wake-up (XNNPACK's pthreadpool does the same): between jobs a worker spins briefly
/// on the job counter, then sleeps on its semaphore until the next job.
///
/// `run` hands out tasks 0..<count (the caller works too) and returns when all are done. Task
/// t < 64 goes first to participant t (the caller is 0, worker w is w + 1), so an op split
/// into per-thread chunks gives each thread the same part of the tensors op after op (the
/// data stays in that core's cache); a participant that is done claims whatever is left. One
/// job at a time: an interpreter runs its ops in order, never two `run`s at once.
final class WorkerPool: @unchecked Sendable {
    private let state: State
    let workers: Int

    /// `threads` counts the caller: `threads − 1` workers are started.
    init(threads: Int) {
        workers = max(0, threads - 1)
        state = State(workers: workers)
        for worker in 0..<workers {
            let state = self.state
            let thread = Thread { state.work(worker) }
            thread.name = "tflite-worker-\(worker)"
            thread.start()
        }
    }

    deinit { state.stop() }

    /// A parallel loop's body: `run(task, participant:)` is called once for every task, from
    /// several threads at once; `participant` (< the pool's thread count: 0 is the caller,
    /// worker w is w + 1) names the thread, so tasks given the same participant never overlap
    /// (each may use that participant's slice of scratch memory).
    protocol Job {
        func run(_ task: Int, participant: Int)
    }

    /// Calls `job.run(task, participant:)` for every task in 0..<count on the caller and the
    /// workers.
    ///
    /// Allocates nothing: the workers reach the caller's `job` through a pointer, held in an
    /// existential small enough to live inline. (A closure would not do: handing a
    /// non-escaping closure to other threads takes `withoutActuallyEscaping`, which boxes it on
    /// the heap on every call.)
    func run<J: Job>(count: Int, _ job: J) {
        withUnsafePointer(to: job) { state.run(count: count, JobReference(job: $0)) }
    }

    private struct JobReference<J: Job>: Job {
        let job: UnsafePointer<J>
        func run(_ task: Int, participant: Int) { job.pointee.run(task, participant: participant) }
    }

    private final class State: @unchecked Sendable {
        /// One cache line per shared word: `generation` (bumped once per job, and once to stop;
        /// workers wait for it to change), `next` (the next task to hand out), `pending`
        /// (workers still busy with the current job), `claimed` (bit t: task t < 64 is taken),
        /// then one `sleeping` flag per worker (1 while it sleeps, or is about to, on its
        /// semaphore).
        private let words: UnsafeMutableRawPointer
        private var generation: UnsafeMutablePointer<Int64> { word(0) }
        private var next: UnsafeMutablePointer<Int64> { word(1) }
        private var pending: UnsafeMutablePointer<Int64> { word(2) }
        private var claimed: UnsafeMutablePointer<Int64> { word(3) }
        private func sleeping(_ worker: Int) -> UnsafeMutablePointer<Int64> { word(4 + worker) }
        private func word(_ index: Int) -> UnsafeMutablePointer<Int64> { (words + index * 64).assumingMemoryBound(to: Int64.self) }
        private let semaphores: [DispatchSemaphore]
        private var job: (any Job)?
        private var count = 0
        private var stopping = false
        /// Spins before a worker sleeps (`pause` takes ~12 ns here: about half a millisecond).
        /// Longer than any gap between two parallel ops of an invoke — a worker put to sleep
        /// mid-invoke costs ~30 µs to wake (at 50 µs of spinning, V2 float slept about once per
        /// invoke) — and short enough that an idle interpreter soon stops spinning.
        private let spinLimit = 40_000

        init(workers: Int) {
            words = .allocate(byteCount: (4 + workers) * 64, alignment: 64)
            words.initializeMemory(as: UInt8.self, repeating: 0, count: (4 + workers) * 64)
            semaphores = (0..<workers).map { _ in DispatchSemaphore(value: 0) }
        }

        // Workers keep `self` alive until they exit, so the words outlive every access.
        deinit { words.deallocate() }

        func run(count: Int, _ job: any Job) {
            self.job = job
            self.count = count
            tflite_atomic_store(next, 0)
            tflite_atomic_store(claimed, 0)
            tflite_atomic_store(pending, Int64(semaphores.count))
            _ = tflite_atomic_fetch_add(generation, 1)
            wakeSleepers()
            drain(job, participant: 0)
            while tflite_atomic_load(pending) != 0 { tflite_spin_pause() }
            self.job = nil
        }

        func stop() {
            stopping = true
            _ = tflite_atomic_fetch_add(generation, 1)
            for semaphore in semaphores { semaphore.signal() }
        }

        private func wakeSleepers() {
            for (w, semaphore) in semaphores.enumerated() where tflite_atomic_load(sleeping(w)) != 0 { semaphore.signal() }
        }

        private func drain(_ job: any Job, participant: Int) {
            let owned = min(count, 64)
            if participant < owned && claim(participant) { job.run(participant, participant: participant) }
            for task in 0..<owned where tflite_atomic_load(claimed) & (1 << Int64(task)) == 0 && claim(task) {
                job.run(task, participant: participant)
            }
            while true {
                let task = 64 + Int(tflite_atomic_fetch_add(next, 1))
                if task >= count { return }
                job.run(task, participant: participant)
            }
        }

        /// Takes task `task` (< 64) unless another participant has.
        private func claim(_ task: Int) -> Bool {
            let bit: Int64 = 1 << Int64(task)
            return tflite_atomic_fetch_or(claimed, bit) & bit == 0
        }

        func work(_ worker: Int) {
            // Generation 0 is the pool's start: a thread that starts late still sees the jobs
            // begun before it ran.
            var seen: Int64 = 0
            while true {
                var spins = 0
                while tflite_atomic_load(generation) == seen && spins < spinLimit {
                    tflite_spin_pause()
                    spins += 1
                }
                if tflite_atomic_load(generation) == seen {
                    tflite_atomic_store(sleeping(worker), 1)
                    if tflite_atomic_load(generation) == seen { semaphores[worker].wait() }
                    tflite_atomic_store(sleeping(worker), 0)
                    continue
                }
                seen = tflite_atomic_load(generation)
                if stopping { return }
                if let job { drain(job, participant: worker + 1) }
                _ = tflite_atomic_fetch_add(pending, -1)
            }
        }
    }
}

import CAtomics
import Dispatch
import Foundation

/// Threads kept for the life of an interpreter, so each parallel op costs a memory write and
/// no thread wake-up (XNNPACK's pthreadpool does the same): between jobs a worker spins briefly
/// on the job counter, then sleeps on its semaphore until the next job.
///
/// `run` hands out tasks 0..<count (the caller works too) and returns when all are done. The
/// tasks are dealt in contiguous ranges, one per participant in order (the caller is 0,
/// worker w is w + 1), so an op split the same way as the one before gives each thread the
/// same part of the tensors (the data stays in that core's cache); a participant takes its
/// own tasks from the front and, when it has none left, takes the others' from the back (as
/// pthreadpool does), so a thread slowed down — a busy core under a virtual machine — costs
/// the others only the tasks it did not reach. One job at a time: an interpreter runs its ops
/// in order, never two `run`s at once.
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
    @inline(__always)
    func run<J: Job>(count: Int, _ job: J) {
        guard count < 1 << 31 else {
            for task in 0..<count { job.run(task, participant: 0) }
            return
        }
        withUnsafePointer(to: job) { pointer in
            state.publish(count: count, JobReference(job: pointer))
            // The caller's tasks run on `job` itself, borrowed. Through the type-erased
            // reference (which the workers take), each task copies the job, retaining the
            // objects its context holds: with the caller doing so too, the two cores' atomic
            // updates of the same reference counts sent those cache lines back and forth — an
            // empty job of 8 tasks with two objects in its context took 843 ns, now ~430 (with
            // none: 464, now ~380).
            state.drain(job, participant: 0)
            state.finish()
        }
    }

    private struct JobReference<J: Job>: Job {
        let job: UnsafePointer<J>
        func run(_ task: Int, participant: Int) { job.pointee.run(task, participant: participant) }
    }

    private final class State: @unchecked Sendable {
        /// One cache line per group of shared words, so that a worker finds a new job in one
        /// line: line 0 holds `generation` (bumped once per job, and once to stop; workers wait
        /// for it to change), `gate` (the job's generation · 2^20, plus `closed` once the
        /// caller has run out of tasks, plus the workers that joined and have not yet left) and
        /// the job itself; then one line per participant with its range of tasks (front · 2^32
        /// + back: its owner takes the front, a thief the back); then one `sleeping` flag per
        /// worker (1 while it sleeps, or is about to, on its semaphore). The caller publishes a
        /// job with plain (release) stores and one fenced store of `generation`.
        private let words: UnsafeMutableRawPointer
        private var generation: UnsafeMutablePointer<Int64> { word(0) }
        private var gate: UnsafeMutablePointer<Int64> { word(0) + 1 }
        private var job: UnsafeMutablePointer<(any Job)?> { (words + Self.jobOffset).assumingMemoryBound(to: (any Job)?.self) }
        private static let jobOffset = 16
        private static let closed: Int64 = 1 << 19, joinedMask: Int64 = (1 << 19) - 1
        private func range(_ p: Int) -> UnsafeMutablePointer<Int64> { word(1 + p) }
        private func sleeping(_ worker: Int) -> UnsafeMutablePointer<Int64> { word(1 + participants + worker) }
        private func word(_ line: Int) -> UnsafeMutablePointer<Int64> { (words + line * 64).assumingMemoryBound(to: Int64.self) }
        private let participants: Int
        private let semaphores: [DispatchSemaphore]
        private var stopping = false
        /// Spins before a worker sleeps (`pause` takes ~12 ns here: about half a millisecond).
        /// Longer than any gap between two parallel ops of an invoke — a worker put to sleep
        /// mid-invoke costs ~30 µs to wake (at 50 µs of spinning, V2 float slept about once per
        /// invoke) — and short enough that an idle interpreter soon stops spinning.
        private let spinLimit = 40_000

        init(workers: Int) {
            participants = workers + 1
            let lines = 1 + participants + workers
            // The job shares line 0 with the two words (an existential of five words and a tag).
            precondition(Self.jobOffset + MemoryLayout<(any Job)?>.size <= 64, "the job fits in line 0")
            words = .allocate(byteCount: lines * 64, alignment: 64)
            words.initializeMemory(as: UInt8.self, repeating: 0, count: lines * 64)
            (words + Self.jobOffset).bindMemory(to: (any Job)?.self, capacity: 1).initialize(to: nil)
            semaphores = (0..<workers).map { _ in DispatchSemaphore(value: 0) }
        }

        // Workers keep `self` alive until they exit, so the words outlive every access.
        deinit {
            job.deinitialize(count: 1)
            words.deallocate()
        }

        /// Hands out job `job` of `count` tasks (< 2^31; `WorkerPool.run` runs larger counts
        /// on the caller) to the workers; the caller then drains participant 0's tasks and calls
        /// `finish`.
        func publish(count: Int, _ job: any Job) {
            self.job.pointee = job
            for p in 0..<participants {
                let first = count * p / participants, end = count * (p + 1) / participants
                tflite_atomic_store_release(range(p), Int64(first) << 32 | Int64(end))
            }
            // A worker joins the job through the gate before it touches it; once the caller has
            // run out of tasks it closes the gate and waits only for the workers inside, so a
            // worker the system has not scheduled yet (a busy core) delays nothing. The
            // sequentially consistent store of `generation` orders it before the reads of the
            // `sleeping` flags (a worker sets its flag, then reads `generation`).
            let id = tflite_atomic_load(generation) + 1
            tflite_atomic_store_release(gate, id << 20)
            tflite_atomic_store(generation, id)
            wakeSleepers()
        }

        /// Waits for the workers that joined the job, once the caller has run out of tasks.
        func finish() {
            _ = tflite_atomic_fetch_or(gate, Self.closed)
            while tflite_atomic_load(gate) & Self.joinedMask != 0 { tflite_spin_pause() }
            self.job.pointee = nil
        }

        /// Enters job `id` unless the gate has closed (or moved on to a later job).
        private func join(_ id: Int64) -> Bool {
            while true {
                let value = tflite_atomic_load(gate)
                guard value >> 20 == id, value & Self.closed == 0 else { return false }
                if tflite_atomic_compare_exchange(gate, value, value + 1) { return true }
            }
        }

        func stop() {
            stopping = true
            _ = tflite_atomic_fetch_add(generation, 1)
            for semaphore in semaphores { semaphore.signal() }
        }

        private func wakeSleepers() {
            for (w, semaphore) in semaphores.enumerated() where tflite_atomic_load(sleeping(w)) != 0 { semaphore.signal() }
        }

        /// Runs the participant's own tasks from the front, then the others' from the back.
        @inline(__always)
        func drain<J: Job>(_ job: J, participant: Int) {
            while case let task = tflite_range_take_front(range(participant)), task >= 0 {
                job.run(Int(task), participant: participant)
            }
            for step in 1..<participants {
                let other = (participant + step) % participants
                while case let task = tflite_range_take_back(range(other)), task >= 0 {
                    job.run(Int(task), participant: participant)
                }
            }
        }

        func work(_ worker: Int) {
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
                guard join(seen) else { continue }
                if let job = job.pointee { drain(job, participant: worker + 1) }
                _ = tflite_atomic_fetch_add(gate, -1)
            }
        }
    }
}

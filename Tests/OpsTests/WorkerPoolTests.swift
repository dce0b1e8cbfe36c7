import CAllocationCounter
import Ops
import Testing

@Suite struct WorkerPoolTests {
    /// Every task of every job runs exactly once, including the first jobs of a fresh pool
    /// (before its threads have started) and jobs with fewer tasks than threads.
    @Test func everyTaskRunsOnce() {
        for threads in [2, 3, 4] {
            let runner = ParallelRunner(threadCount: threads)
            for job in 0..<2_000 {
                let tasks = job % 101  // past 64 too: those are handed out by a shared counter
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(tasks, 1))
                counts.initialize(repeating: 0, count: max(tasks, 1))
                runner.forEach(tasks: tasks, context: counts) { counts, task in counts[task] += 1 }
                #expect((0..<tasks).allSatisfy { counts[$0] == 1 }, "threads \(threads) job \(job)")
                counts.deallocate()
            }
        }
    }

    /// Fresh pools, each used once and dropped at once: no job is lost to a thread that has
    /// not started yet, and dropping a pool with sleeping or spinning workers returns.
    @Test func freshPoolsRunTheirFirstJob() {
        for _ in 0..<200 {
            let runner = ParallelRunner(threadCount: 2)
            var ran = [0, 0]
            ran.withUnsafeMutableBufferPointer { ran in
                runner.forEachChunk(count: 2, context: ran) { ran, thread, range in ran[thread] += range.count }
            }
            #expect(ran.reduce(0, +) == 2)
        }
    }

    /// The split loops cover every item (every tile × panel) exactly once, on 1–3 threads,
    /// whether a matrix is split by row tiles or, for few tiles, by panel pairs.
    @Test func splitsCoverEveryItemOnce() {
        for threads in [1, 2, 3] {
            let runner = ParallelRunner(threadCount: threads)
            for count in [0, 1, 2, 5, 64, 1000] {
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                counts.initialize(repeating: 0, count: max(count, 1))
                runner.forEachRange(count: count, grain: 3, context: counts) { counts, range in
                    for i in range { counts[i] += 1 }
                }
                runner.forEachChunk(count: count, grain: 3, context: counts) { counts, _, range in
                    for i in range { counts[i] += 1 }
                }
                #expect((0..<count).allSatisfy { counts[$0] == 2 }, "threads \(threads) count \(count)")
                counts.deallocate()
            }
            for (tiles, panels) in [(1, 9), (2, 8), (3, 2), (40, 5), (0, 4)] {
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(tiles * panels, 1))
                counts.initialize(repeating: 0, count: max(tiles * panels, 1))
                runner.forEachTileBlock(tiles: tiles, panels: panels, tileGrain: 2, context: (counts, panels)) { c, _, tiles, panels in
                    for t in tiles { for p in panels { c.0[t * c.1 + p] += 1 } }
                }
                #expect((0..<(tiles * panels)).allSatisfy { counts[$0] == 1 }, "threads \(threads) \(tiles) × \(panels)")
                counts.deallocate()
            }
        }
    }

    /// A thread's scratch is never shared: the ranges `forEachChunk` gives one thread number
    /// never run at the same time (each marks its thread busy while it runs).
    @Test func threadNumbersNeverOverlap() {
        let runner = ParallelRunner(threadCount: 2)
        let state = UnsafeMutablePointer<Int>.allocate(capacity: 3)
        state.initialize(repeating: 0, count: 3)
        defer { state.deallocate() }
        for _ in 0..<500 {
            runner.forEachChunk(count: 64, context: state) { state, thread, range in
                if state[thread] != 0 { state[2] = 1 }
                state[thread] = 1
                var sink = 0
                for i in range { sink &+= i &* i }
                if sink == -1 { state[2] = 2 }
                state[thread] = 0
            }
        }
        #expect(state[2] == 0)
    }

    /// Handing a job to the threads allocates nothing: no boxed closure per parallel op.
    @Test(.enabled(if: tflite_test_counts_allocations() != 0, "heap allocations are only counted on glibc without a sanitizer"))
    func parallelLoopsAllocateNothing() {
        let runner = ParallelRunner(threadCount: 2)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        counts.initialize(repeating: 0, count: 64)
        defer { counts.deallocate() }
        // Round 0 instantiates the job types' generic metadata (once per process).
        for round in 0..<101 {
            if round == 1 { tflite_test_allocations_start() }
            runner.forEach(tasks: 8, context: counts) { counts, task in counts[task] &+= 1 }
            runner.forEachRange(count: 64, context: counts) { counts, range in for i in range { counts[i] &+= 1 } }
            runner.forEachChunk(count: 64, context: counts) { counts, _, range in for i in range { counts[i] &+= 1 } }
            runner.forEachTileBlock(tiles: 2, panels: 8, tileGrain: 1, context: counts) { counts, _, tiles, panels in
                for t in tiles { for p in panels { counts[t * 8 + p] &+= 1 } }
            }
        }
        let allocations = tflite_test_allocations_stop()
        #expect(allocations == 0)
        #expect(counts[0] == 404 && counts[63] == 202)
    }
}

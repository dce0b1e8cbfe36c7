import CAllocationCounter
import Foundation
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
            for (tiles, panels) in [(1, 9), (2, 8), (3, 2), (7, 20), (40, 5), (0, 4)] {
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(tiles * panels, 1))
                counts.initialize(repeating: 0, count: max(tiles * panels, 1))
                // Enough work to split (with light weights, then weights heavy enough for few
                // tiles to split by panels), then too little (one thread takes it all).
                for (work, weightBytes) in [(Int.max, 0), (Int.max, Int.max), (0, 0)] {
                    runner.forEachTileBlock(tiles: tiles, panels: panels, tileGrain: 2, work: work, weightBytes: weightBytes,
                                            context: (counts, panels)) { c, _, tiles, panels in
                        for t in tiles { for p in panels { c.0[t * c.1 + p] += 1 } }
                    }
                }
                #expect((0..<(tiles * panels)).allSatisfy { counts[$0] == 3 }, "threads \(threads) \(tiles) × \(panels)")
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

    /// A thread that falls behind (here thread 0, sleeping in each of its ranges) has its
    /// remaining ranges taken by the other: the loop is done in about half the time of one
    /// thread doing all of them, every range still runs once, and each thread starts on its own
    /// part (thread 1 on the second half).
    @Test func aSlowThreadsRangesAreTakenOver() {
        let runner = ParallelRunner(threadCount: 2)
        // ran[i]: the thread that ran range i + 1 (0 = not run).
        let ran = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { ran.deallocate() }
        for _ in 0..<5 {
            ran.initialize(repeating: 0, count: 64)
            let start = DispatchTime.now().uptimeNanoseconds
            runner.forEachChunk(count: 64, grain: 8, context: ran) { ran, thread, range in
                ran[range.lowerBound / 8] = thread + 1
                if thread == 0 { usleep(20_000) }
            }
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            let ranges = (0..<8).map { ran[$0] }
            #expect(ranges.allSatisfy { $0 != 0 }, "\(ranges)")
            #expect(ranges[4] == 2, "thread 1 starts on the second half: \(ranges)")
            // Thread 0 alone would sleep 8 × 20 ms; taken over, it sleeps in 1–2 ranges.
            #expect(ranges.filter { $0 == 2 }.count >= 5, "\(ranges)")
            #expect(milliseconds < 120, "\(milliseconds) ms")
        }
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
            runner.forEachTileBlock(tiles: 2, panels: 8, tileGrain: 1, work: .max, context: counts) { counts, _, tiles, panels in
                for t in tiles { for p in panels { counts[t * 8 + p] &+= 1 } }
            }
        }
        let allocations = tflite_test_allocations_stop()
        #expect(allocations == 0)
        #expect(counts[0] == 404 && counts[63] == 202)
    }
}

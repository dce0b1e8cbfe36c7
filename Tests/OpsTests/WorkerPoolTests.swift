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
                runner.forEach(tasks: tasks) { task in counts[task] += 1 }
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
                runner.forEachChunk(count: 2) { chunk, range in ran[chunk] += range.count }
            }
            #expect(ran == [1, 1])
        }
    }
}

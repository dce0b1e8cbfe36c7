import CAllocationCounter
import Foundation
import Testing
import TFLite

/// `invoke()` does not touch the heap: every buffer is planned at `allocateTensors()`, and the
/// worker threads get each parallel op without a boxed closure. Counted on the calling thread
/// (which runs every op, and its share of each parallel one) with the test binary's counting
/// `malloc`; skipped where that cannot be installed (non-glibc, AddressSanitizer).
@Suite(.enabled(if: tflite_test_counts_allocations() != 0, "heap allocations are only counted on glibc without a sanitizer"))
struct AllocationTests {
    /// The project's fixture models, and the stock and benchmark MobileNets of ../shared when
    /// it is present (their ops are large enough to run on every thread).
    static let models: [URL] = {
        let fileManager = FileManager.default
        func tflite(in directory: URL) -> [URL] {
            let names = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.filter { $0.hasSuffix(".tflite") }.sorted().map { directory.appendingPathComponent($0) }
        }
        var models = tflite(in: TestPaths.fixtures.appendingPathComponent("models"))
        if TestPaths.sharedExists {
            models += tflite(in: TestPaths.shared.appendingPathComponent("models"))
            models += tflite(in: TestPaths.shared.appendingPathComponent("models/bench"))
        }
        return models
    }()

    /// Heap allocations in five invokes of `model` after a first one, on `threads` threads.
    static func allocations(_ model: URL, threads: Int) throws -> Int {
        let interpreter = try Interpreter(modelPath: model.path, options: .init(threadCount: threads))
        try interpreter.allocateTensors()
        try interpreter.invoke()
        tflite_test_allocations_start()
        for _ in 0..<5 { try? interpreter.invoke() }
        return tflite_test_allocations_stop()
    }

    @Test(arguments: [1, 2])
    func invokeAllocatesNothing(threads: Int) throws {
        var allocating: [String] = []
        for model in Self.models {
            let count = try Self.allocations(model, threads: threads)
            if count != 0 { allocating.append("\(model.lastPathComponent): \(count)") }
        }
        print("invoke() on \(threads) thread(s): \(Self.models.count - allocating.count)/\(Self.models.count) models allocate nothing")
        #expect(allocating.isEmpty, "heap allocations in 5 invokes: \(allocating.joined(separator: ", "))")
    }

    /// The counter itself counts: an array that grows allocates.
    @Test func counterSeesAllocations() {
        tflite_test_allocations_start()
        var values: [Int] = []
        for i in 0..<100 { values.append(i) }
        let count = tflite_test_allocations_stop()
        #expect(values.count == 100)
        #expect(count > 0)
    }
}

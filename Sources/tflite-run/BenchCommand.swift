import ArgumentParser
import Dispatch
import Foundation
import TFLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tflite-run bench MODEL`: initialisation time, invoke latency statistics and peak memory,
/// optionally time per operator and per operator type.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a model's initialisation time, invoke latency and peak memory.",
        discussion: "Inputs are filled with seeded random bytes. Latency is reported over --runs invokes after --warmup unmeasured ones.")

    @Argument(help: "The .tflite model file.")
    var model: String

    @Option(help: "Threads the kernels may use.")
    var threads: Int = 1

    @Option(help: "Measured invokes.")
    var runs: Int = 50

    @Option(help: "Unmeasured invokes first.")
    var warmup: Int = 5

    @Flag(help: "Also time each operator and each operator type.")
    var profile = false

    @Flag(help: "Print the results as JSON.")
    var json = false

    @Flag(help: ArgumentHelp("After the warm-up, read a count N per line from standard input and answer each with the latencies (ms) of N more invokes as one JSON array; stop at end of input.",
                             discussion: "For benchmark harnesses that interleave engines finely (bench/compare_litert.py)."))
    var serve = false

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
        guard (1...1_000_000).contains(runs) else { throw ValidationError("--runs must be between 1 and 1000000") }
        guard (0...1_000_000).contains(warmup) else { throw ValidationError("--warmup must be between 0 and 1000000") }
    }

    func run() throws {
        let problem: String?
        do {
            problem = try measure()
        } catch {
            throw failure(error.description)
        }
        if let problem { throw failure(problem) }
    }

    /// Runs the benchmark; returns a message when `--serve` read a line it cannot take.
    private func measure() throws(InterpreterError) -> String? {
        let initStart = DispatchTime.now().uptimeNanoseconds
        let interpreter = try Interpreter(modelPath: model, options: .init(threadCount: threads))
        try interpreter.allocateTensors()
        let initMs = milliseconds(since: initStart)

        var generator = BenchRandom(state: 0x5EED)
        for index in 0..<interpreter.inputTensorCount {
            let input = try interpreter.input(at: index)
            var bytes = Data(count: input.data.count)
            bytes.withUnsafeMutableBytes { raw in
                if input.dataType == .float32 {
                    for i in 0..<(raw.count / 4) { raw.storeBytes(of: Float(generator.next() % 2001) / 1000 - 1, toByteOffset: i * 4, as: Float.self) }
                } else {
                    for i in 0..<raw.count { raw[i] = UInt8(truncatingIfNeeded: generator.next()) }
                }
            }
            try interpreter.copy(bytes, toInputAt: index)
        }
        for _ in 0..<warmup { try interpreter.invoke() }
        if serve { return try serveBlocks(interpreter) }
        var latencies: [Double] = []
        var perOperator: [Int: (name: String, seconds: Double)] = [:]
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            if profile {
                for timing in try interpreter.invokeProfiled() {
                    perOperator[timing.operatorIndex, default: (timing.operatorName, 0)].seconds += timing.seconds
                }
            } else {
                try interpreter.invoke()
            }
            latencies.append(milliseconds(since: start))
        }
        let inRunOrder = latencies
        latencies.sort()
        let median = latencies.count % 2 == 1 ? latencies[latencies.count / 2]
            : (latencies[latencies.count / 2 - 1] + latencies[latencies.count / 2]) / 2
        let p90 = latencies[min(latencies.count - 1, Int((Double(latencies.count) * 0.9).rounded(.up)) - 1)]
        let minimum = latencies[0]
        let peakRSS = peakResidentMegabytes()

        let operators = perOperator.sorted { $0.key < $1.key }.map { (index: $0.key, name: $0.value.name, ms: $0.value.seconds * 1000 / Double(runs)) }
        var byType: [String: (count: Int, ms: Double)] = [:]
        for op in operators { byType[op.name, default: (0, 0)].count += 1; byType[op.name, default: (0, 0)].ms += op.ms }
        let types = byType.sorted { $0.value.ms > $1.value.ms }
        let profiledTotal = operators.reduce(0) { $0 + $1.ms }

        if json {
            var object: [String: Any] = [
                "model": model, "threads": threads, "runs": runs, "warmup": warmup, "kernels": Interpreter.kernelInstructionSet,
                "init_ms": initMs, "median_ms": median, "p90_ms": p90, "min_ms": minimum, "peak_rss_mb": peakRSS,
                "latencies_ms": inRunOrder,
            ]
            if profile {
                object["operators"] = operators.map { ["index": $0.index, "op": $0.name, "ms": $0.ms] as [String: Any] }
                object["operator_types"] = types.map { ["op": $0.key, "count": $0.value.count, "ms": $0.value.ms] as [String: Any] }
            }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
            return nil
        }
        print("model:        \(model)")
        print("threads:      \(threads)   runs: \(runs)   warmup: \(warmup)   kernels: \(Interpreter.kernelInstructionSet)")
        print(String(format: "init:         %.2f ms (load + prepare)", initMs))
        print(String(format: "invoke:       median %.3f ms   p90 %.3f ms   min %.3f ms", median, p90, minimum))
        print(String(format: "peak RSS:     %.1f MB", peakRSS))
        guard profile else { return nil }
        // An operator name in a column of 22 (`String(format:)` ignores the width of `%@` on Linux).
        func column(_ name: String) -> String { name.padding(toLength: max(22, name.count), withPad: " ", startingAt: 0) }
        print("\nper operator type (mean ms per invoke):")
        for (name, value) in types {
            print("  " + column(name) + String(format: " %4d ops  %9.3f ms  %5.1f%%", value.count, value.ms, profiledTotal > 0 ? value.ms / profiledTotal * 100 : 0))
        }
        print("\nper operator (mean ms per invoke):")
        for op in operators {
            print(String(format: "  %4d  ", op.index) + column(op.name) + String(format: " %9.3f ms", op.ms))
        }
        return nil
    }

    /// `--serve`: a block of invokes per line read, until end of input; a message for a line
    /// that is not a count.
    private func serveBlocks(_ interpreter: Interpreter) throws(InterpreterError) -> String? {
        while let line = readLine() {
            guard let count = Int(line.trimmingCharacters(in: .whitespaces)), (1...1_000_000).contains(count) else {
                return "--serve reads one count from 1 to 1000000 per line, got \"\(line.prefix(40))\""
            }
            var latencies: [String] = []
            latencies.reserveCapacity(count)
            for _ in 0..<count {
                let start = DispatchTime.now().uptimeNanoseconds
                try interpreter.invoke()
                latencies.append(String(format: "%.4f", milliseconds(since: start)))
            }
            FileHandle.standardOutput.write(Data("[\(latencies.joined(separator: ", "))]\n".utf8))
        }
        return nil
    }

    private func milliseconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    /// Peak resident set size of this process, in MB.
    private func peakResidentMegabytes() -> Double {
        var usage = rusage()
        #if canImport(Darwin)
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        #else
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        #endif
        #if canImport(Darwin)
        return Double(usage.ru_maxrss) / 1_048_576   // bytes on macOS
        #else
        return Double(usage.ru_maxrss) / 1024        // kilobytes on Linux
        #endif
    }
}

/// A seeded generator for benchmark inputs (reproducible across runs and machines).
struct BenchRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

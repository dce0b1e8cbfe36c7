import Foundation
import Testing

/// The built `tflite-run` binary, run as a user runs it: output and exit status.
enum CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var binary: URL {
        // The test runner (Linux) or the test bundle (macOS) sits in the products folder beside
        // the executable; the runner's own folder comes first, so that a build in another
        // scratch path tests its own tflite-run, not a stale one in .build.
        let products = Bundle.main.bundleURL.deletingLastPathComponent()
        let runner = Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("tflite-run")
        for candidate in [runner, products.appendingPathComponent("tflite-run"), root.appendingPathComponent(".build/release/tflite-run"),
                          root.appendingPathComponent(".build/debug/tflite-run")].compactMap({ $0 })
        where FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        return products.appendingPathComponent("tflite-run")
    }

    struct Result { let status: Int32; let stdout: String; let stderr: String }

    static func run(_ arguments: [String], input: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        if input != nil { process.standardInput = inPipe }
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try inPipe.fileHandleForWriting.close()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

@Suite struct CLITests {
    let model = "Fixtures/models/mobilenet_v3_style_int8.tflite"

    @Test func dumpPrintsTheModelInThreeFormats() throws {
        let text = try CLI.run(["dump", model])
        #expect(text.status == 0)
        #expect(text.stdout.contains("HARD_SWISH") && text.stdout.contains("multiply-accumulates"))
        let json = try CLI.run(["dump", model, "--format", "json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let subgraph = try #require((object["subgraphs"] as? [[String: Any]])?.first)
        let operators = try #require(subgraph["operators"] as? [[String: Any]])
        #expect(operators.first?["opcode"] as? String == "CONV_2D")
        #expect((operators.first?["options"] as? [String: Any])?["padding"] as? String == "SAME")
        let tensors = try #require(subgraph["tensors"] as? [[String: Any]])
        #expect(tensors.contains { ($0["quantization"] as? [String: Any])?["scale"] != nil })
        #expect(object["version"] as? Int == 3)
        let dot = try CLI.run(["dump", model, "--format", "dot"])
        #expect(dot.status == 0 && dot.stdout.hasPrefix("digraph"))
    }

    @Test func badModelsAreOneLineErrors() throws {
        let truncated = FileManager.default.temporaryDirectory.appendingPathComponent("truncated-\(UUID().uuidString).tflite")
        let data = try Data(contentsOf: CLI.root.appendingPathComponent(model))
        try data.prefix(data.count / 2).write(to: truncated)
        defer { try? FileManager.default.removeItem(at: truncated) }
        for arguments in [["dump", "/nonexistent/model.tflite"], ["dump", "Package.swift"], ["dump", truncated.path],
                          ["run", truncated.path], ["run", model, "--input-raw", "Package.swift"], ["run", model, "--image", "Package.swift"]] {
            let result = try CLI.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("error:"), "\(arguments): \(result.stderr)")
        }
    }

    @Test func runClassifiesAShippedDigit() throws {
        let folder = CLI.root.appendingPathComponent("Fixtures/digits/test/3")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().first)
        let result = try CLI.run(["run", "Fixtures/models/digits_int8.tflite", "--image", folder.appendingPathComponent(file).path,
                                  "--labels", "Fixtures/digits/labels.txt", "--top-k", "1"])
        #expect(result.status == 0)
        #expect(result.stdout.contains(" 3\n") || result.stdout.hasSuffix(" 3"), "\(result.stdout)")
    }

    @Test func compareReportsTheShippedPairsAccuracy() throws {
        let result = try CLI.run(["compare", "Fixtures/models/digits_float.tflite", "Fixtures/models/digits_int8.tflite",
                                  "--images", "Fixtures/digits/test", "--json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["images"] as? Int == 360)
        // LiteRT's reference kernels on the same images (Fixtures/litert_compare.py): 356/360 and 357/360.
        func images(_ fraction: Any?) -> Int { Int(((fraction as? Double ?? -1) * 360).rounded()) }
        #expect(images((object["float"] as? [String: Any])?["top1"]) == 356)
        #expect(images((object["quantized"] as? [String: Any])?["top1"]) == 357)
        #expect(images(object["top1_agreement"]) == 359)
    }

    /// `bench --json` reports the fields the benchmark script and users read, with sane values,
    /// and names the kernel level in use (lowered by TFLITE_KERNELS where asked).
    @Test func benchReportsLatencyMemoryAndKernels() throws {
        let result = try CLI.run(["bench", model, "--runs", "3", "--warmup", "1", "--threads", "2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in ["init_ms", "median_ms", "p90_ms", "min_ms", "peak_rss_mb"] {
            let value = try #require(object[key] as? Double, "\(key)")
            #expect(value > 0, "\(key)")
        }
        let median = try #require(object["median_ms"] as? Double), minimum = try #require(object["min_ms"] as? Double)
        #expect(minimum <= median)
        let latencies = try #require(object["latencies_ms"] as? [Double])
        #expect(latencies.count == 3 && latencies.min() == minimum, "every measured invoke, in run order: \(latencies)")
        #expect(["baseline", "avx2", "avx512", "avx512vnni"].contains(object["kernels"] as? String ?? ""), "\(object)")
    }

    /// `bench --serve` answers each count read from standard input with that many latencies,
    /// one JSON array per line, and stops at the end of input; a line that is not a count ends
    /// it with a one-line error.
    @Test func benchServesBlocksOfInvokes() throws {
        let result = try CLI.run(["bench", model, "--warmup", "1", "--threads", "2", "--serve"], input: "2\n3\n")
        #expect(result.status == 0, "\(result.stderr)")
        let blocks = try result.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Double])
        }
        #expect(blocks.map(\.count) == [2, 3])
        #expect(blocks.joined().allSatisfy { $0 > 0 })
        let bad = try CLI.run(["bench", model, "--warmup", "0", "--serve"], input: "2\nmany\n")
        #expect(bad.status != 0)
        #expect(bad.stdout.split(separator: "\n").count == 1)
        #expect(bad.stderr.contains("--serve reads one count"), "\(bad.stderr)")
    }
}

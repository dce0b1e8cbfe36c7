import Foundation
import Testing
import TFLite

/// Models the fuzzer (`make fuzz`) found hanging or crashing, minimised and kept here: each must
/// now load, prepare and run, or end in a typed error.
@Suite struct RegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Regressions")
    static var files: [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "tflite" }.sorted { $0.path < $1.path }
    }

    @Test func regressionsArePresent() {
        #expect(!Self.files.isEmpty)
    }

    /// mean-huge-reduced-dimension: MEAN over a [1, 83886085, 0, 12] input once built an
    /// 83-million-entry offset table at prepare time (a libFuzzer timeout).
    /// maxpool-654m-empty-rows: MAX_POOL_2D of an empty INT8[1, 654311431, 0, 0] input walked
    /// 654 million empty output rows (a timeout); ops whose outputs are all empty no longer run.
    /// avgpool-huge-window: AVERAGE_POOL_2D with a 16842755 × 3714 window over INT8[1, 7, 59399, 6]
    /// (10.8 billion additions, a minute; a timeout): pools past 2^32 element visits are refused.
    @Test(arguments: files)
    func fuzzerFindingsEndInAResultOrATypedError(_ file: URL) throws {
        let data = try Data(contentsOf: file)
        do {
            let interpreter = try Interpreter(modelData: data, options: .init(memoryBudget: 256 << 20))
            try interpreter.allocateTensors()
            try interpreter.invoke()
            for index in 0..<interpreter.outputTensorCount { _ = try interpreter.output(at: index) }
        } catch {
            #expect(!error.description.isEmpty)
        }
    }
}

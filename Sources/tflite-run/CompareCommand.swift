import ArgumentParser
import Foundation
import TFLite

/// `tflite-run compare FLOAT QUANT --images DIR`: a quantized model's accuracy against its float
/// original on a folder of images.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a quantized model with its float original on a folder of images.",
        discussion: """
            Runs both models on every image under --images (recursively). Images in subfolders named by \
            class (an integer index, or a label from the labels file) give ground truth for top-1/top-5 \
            accuracy. Reports agreement between the models and the error of the quantized model's \
            dequantized output; with --per-layer, the error of every tensor the two models share.
            """)

    @Argument(help: "The float model.")
    var floatModel: String

    @Argument(help: "The quantized model.")
    var quantizedModel: String

    @Option(help: "A folder of images (JPEG, PNG, BMP), searched recursively.")
    var images: String

    @Option(help: "A label file, one class per line (default: the models' metadata).")
    var labels: String?

    @Option(help: "Evaluate at most this many images.")
    var limit: Int?

    @Flag(name: .customLong("per-layer"), help: "Also compare every tensor present in both models.")
    var perLayer = false

    @Flag(help: "Print the results as JSON.")
    var json = false

    @OptionGroup var preprocessing: PreprocessingOptions

    @Option(help: "Threads the kernels may use.")
    var threads: Int = 1

    func validate() throws {
        if let limit { guard limit >= 1 else { throw ValidationError("--limit must be at least 1") } }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() throws {
        do {
            let report = try ModelComparison(
                floatPath: floatModel, quantizedPath: quantizedModel, threads: threads, perLayer: perLayer,
                preprocessing: preprocessing
            ).run(imagesDirectory: images, labelsPath: labels, limit: limit, progress: !json && isatty(2) != 0)
            print(json ? report.json() : report.text())
        } catch let error as InterpreterError {
            throw failure(error.description)
        } catch let error as CLIError {
            throw failure(error.message)
        }
    }
}

/// A problem the CLI reports in one line.
struct CLIError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

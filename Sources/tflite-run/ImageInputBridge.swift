import ArgumentParser
import Foundation
import TFLite
import TFLiteReader

/// How images become model inputs: normalisation for float inputs (and, through the input's
/// quantization, for quantized ones).
struct PreprocessingOptions: ParsableArguments {
    @Option(help: "Mean subtracted from each pixel value (default: the model's metadata, else 127.5).")
    var mean: Float?

    @Option(help: "Divisor after the mean (default: the model's metadata, else 127.5).")
    var std: Float?

    func validate() throws {
        if let std { guard std.isFinite, std != 0 else { throw ValidationError("--std must be a non-zero number") } }
        if let mean { guard mean.isFinite else { throw ValidationError("--mean must be a number") } }
    }
}

/// Connects the CLI to the image module (pending: decoding lands with ImageInput).
enum ImageInputBridge {
    static func inputBytes(imagePath: String, interpreter: Interpreter, preprocessing: PreprocessingOptions) throws -> Data {
        throw CLIError("\(imagePath): image input is not available yet")
    }
}

/// Labels packed in a model's metadata (pending ImageInput).
enum ModelLabelsBridge {
    static func labels(_ model: Model) -> [String]? { nil }
}

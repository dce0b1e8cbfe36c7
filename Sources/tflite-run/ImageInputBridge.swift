import ArgumentParser
import Foundation
import TFLite
import ImageInput
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

/// Connects the CLI to the image module: decode, then preprocess for the model's input 0 with
/// normalisation from the flags, else the model's metadata, else 127.5 / 127.5.
enum ImageInputBridge {
    static func inputBytes(imagePath: String, interpreter: Interpreter, preprocessing: PreprocessingOptions) throws -> Data {
        let image: DecodedImage
        do { image = try DecodedImage.decode(path: imagePath) } catch { throw CLIError(error.description) }
        let input = try interpreter.input(at: 0)
        let metadata = ModelMetadata.read(from: interpreter.model)
        let preprocessor = ImagePreprocessor(mean: preprocessing.mean.map { [$0] } ?? metadata?.mean ?? [127.5],
                                             std: preprocessing.std.map { [$0] } ?? metadata?.std ?? [127.5])
        do {
            return try preprocessor.inputBytes(for: image, shape: input.shape, type: input.dataType, quantization: input.quantizationParameters)
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// Labels packed in a model's metadata.
enum ModelLabelsBridge {
    static func labels(_ model: Model) -> [String]? { ModelMetadata.read(from: model)?.labels }
}

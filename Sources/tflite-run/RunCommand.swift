import ArgumentParser
import Foundation
import TFLite

/// `tflite-run run MODEL`: one inference, printing the top-k classes of output 0.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model once and print its top classes.",
        discussion: "Input 0 comes from --image (JPEG, PNG or BMP, resized and normalised to the input) or --input-raw (its exact little-endian bytes). Output 0 is printed as its top-k indices and values, dequantized when quantized, named by --labels or by the labels packed in the model's metadata.")

    @Argument(help: "The .tflite model file.")
    var model: String

    @Option(help: "An image (JPEG, PNG, BMP) for input 0.")
    var image: String?

    @Option(name: .customLong("input-raw"), help: "A file holding input 0's raw little-endian bytes.")
    var inputRaw: String?

    @OptionGroup var preprocessing: PreprocessingOptions

    @Option(name: .customLong("output-raw"), help: "Write output 0's raw bytes to this file.")
    var outputRaw: String?

    @Option(help: "Threads the kernels may use.")
    var threads: Int = 1

    @Option(name: .customLong("dump-tensors"), help: "Write every tensor's bytes after the run into this folder, as <index>.bin (for debugging).")
    var dumpTensors: String?

    @Option(name: .customLong("top-k"), help: "How many of the highest-scoring classes to print.")
    var topK: Int = 5

    @Option(help: "A label file, one class name per line.")
    var labels: String?

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
        guard topK >= 0 else { throw ValidationError("--top-k must not be negative") }
        guard image == nil || inputRaw == nil else { throw ValidationError("give either --image or --input-raw, not both") }
    }

    func run() throws {
        do {
            let interpreter = try Interpreter(modelPath: model, options: .init(threadCount: threads, preserveAllTensors: dumpTensors != nil))
            try interpreter.allocateTensors()
            let input = try interpreter.input(at: 0)
            if let image {
                let data: Data
                do {
                    data = try ImageInputBridge.inputBytes(imagePath: image, interpreter: interpreter, preprocessing: preprocessing)
                } catch let error as CLIError {
                    throw failure(error.message)
                } catch {
                    throw failure("\(error)")
                }
                try interpreter.copy(data, toInputAt: 0)
            } else if let inputRaw {
                guard let data = FileManager.default.contents(atPath: inputRaw) else {
                    throw failure("cannot read input file \(inputRaw)")
                }
                guard data.count == input.data.count else {
                    throw failure("\(inputRaw) has \(data.count) bytes; input 0 (\(input.dataType.schemaName) \(input.shape)) takes \(input.data.count)")
                }
                try interpreter.copy(data, toInputAt: 0)
            } else {
                FileHandle.standardError.write(Data("note: no input given (--image or --input-raw); running on zeros\n".utf8))
            }
            try interpreter.invoke()
            let output = try interpreter.output(at: 0)
            if let dumpTensors {
                try? FileManager.default.createDirectory(atPath: dumpTensors, withIntermediateDirectories: true)
                for index in 0..<interpreter.tensorCount {
                    let tensor = try interpreter.tensor(at: index)
                    guard FileManager.default.createFile(atPath: "\(dumpTensors)/\(index).bin", contents: tensor.data) else {
                        throw failure("cannot write into \(dumpTensors)")
                    }
                }
            }
            if let outputRaw {
                guard FileManager.default.createFile(atPath: outputRaw, contents: output.data) else {
                    throw failure("cannot write \(outputRaw)")
                }
            }
            let names = try labels.map(LabelFile.read) ?? ModelLabelsBridge.labels(interpreter.model) ?? []
            print("output 0: \(output.name) \(output.dataType.schemaName) \(output.shape)")
            for (rank, entry) in TopK.entries(of: output, k: topK).enumerated() {
                let label = entry.index < names.count ? "  \(names[entry.index])" : ""
                print(String(format: "%2d. %5d  %.6f", rank + 1, entry.index, entry.value) + label)
            }
        } catch let error as InterpreterError {
            throw failure(error.description)
        }
    }
}

/// The highest values of a tensor, dequantized.
enum TopK {
    static func entries(of tensor: Tensor, k: Int) -> [(index: Int, value: Float)] {
        let values = dequantized(tensor)
        let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        return order.prefix(k).map { ($0, values[$0]) }
    }

    /// The tensor's values as floats: (q − zero point) × scale for quantized tensors.
    static func dequantized(_ tensor: Tensor) -> [Float] {
        let scale = tensor.quantizationParameters?.scale ?? 1
        let zeroPoint = Float(tensor.quantizationParameters?.zeroPoint ?? 0)
        return tensor.data.withUnsafeBytes { raw -> [Float] in
            switch tensor.dataType {
            case .float32: return (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
            case .uint8: return raw.map { (Float($0) - zeroPoint) * scale }
            case .int8: return raw.map { (Float(Int8(bitPattern: $0)) - zeroPoint) * scale }
            case .int32: return (0..<(raw.count / 4)).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            default: return []
            }
        }
    }
}

/// A label file: one class name per line.
enum LabelFile {
    static func read(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw failure("cannot read label file \(path)") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}

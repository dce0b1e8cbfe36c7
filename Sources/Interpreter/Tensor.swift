import Foundation
import TFLiteCore

/// An input or output tensor of a model: its metadata and, after `invoke()`, its bytes.
public struct Tensor: Equatable {
    /// The tensor's name in the model.
    public let name: String
    /// The element type.
    public let dataType: DataType
    /// The current shape (after any resize).
    public let shape: [Int]
    /// The raw little-endian element bytes.
    public let data: Data
    /// Quantization parameters, for quantized tensors.
    public let quantizationParameters: QuantizationParameters?

    /// The number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// How long one operator took in `Interpreter.invokeProfiled()`.
public struct OperatorTiming: Equatable, Sendable {
    /// The operator's index in the model's main graph.
    public let operatorIndex: Int
    /// The builtin operator's schema name (e.g. "CONV_2D").
    public let operatorName: String
    /// Wall-clock seconds.
    public let seconds: Double
}

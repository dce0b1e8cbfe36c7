import TFLiteCore

extension FusedActivation {
    /// The clampable kind, or an error for activations no kernel fuses (TANH, SIGN_BIT).
    package func kind() throws(OpError) -> FusedActivationKind {
        switch self {
        case .none: .none
        case .relu: .relu
        case .relu6: .relu6
        case .reluN1To1: .reluN1To1
        case .tanh, .signBit: throw .invalidOptions("fused activation \(schemaName) is not supported")
        }
    }

    /// The float clamp range of the activation, as TFLite's `CalculateActivationRange`.
    package func floatRange() throws(OpError) -> (min: Float, max: Float) {
        switch try kind() {
        case .none: (-Float.greatestFiniteMagnitude, Float.greatestFiniteMagnitude)
        case .relu: (0, Float.greatestFiniteMagnitude)
        case .relu6: (0, 6)
        case .reluN1To1: (-1, 1)
        }
    }
}

extension DataType {
    /// The integer range of a quantized type.
    package var quantizedRange: (min: Int32, max: Int32)? {
        switch self {
        case .int8: (-128, 127)
        case .uint8: (0, 255)
        case .int16: (-32768, 32767)
        default: nil
        }
    }
}

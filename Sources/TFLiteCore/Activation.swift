/// How a convolution or pooling window meets the edge of its input.
public enum Padding: Int8, Sendable {
    /// Output size ceil(input / stride); the input is padded symmetrically (extra at the end).
    case same = 0
    /// Output size ceil((input − window + 1) / stride); no padding.
    case valid = 1

    /// The schema's name.
    public var schemaName: String { self == .same ? "SAME" : "VALID" }
}

/// An activation fused into the op that precedes it, applied to each output element.
public enum FusedActivation: Int8, Sendable {
    case none = 0
    case relu = 1
    case reluN1To1 = 2
    case relu6 = 3
    case tanh = 4
    case signBit = 5

    /// The schema's name, e.g. `"RELU6"`.
    public var schemaName: String {
        switch self {
        case .none: "NONE"
        case .relu: "RELU"
        case .reluN1To1: "RELU_N1_TO_1"
        case .relu6: "RELU6"
        case .tanh: "TANH"
        case .signBit: "SIGN_BIT"
        }
    }
}

/// Why a model file could not be read. Each case's description is a one-line message that
/// names the problem.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case cannotRead(path: String, reason: String)
    /// The file has no bytes.
    case empty
    /// The file is larger than a flatbuffer model can be (2 GiB) or than the memory budget.
    case tooLarge(bytes: Int, limit: Int)
    /// Fewer bytes than a flatbuffer header.
    case truncated(bytes: Int)
    /// Bytes 4..<8 are not "TFL3".
    case wrongIdentifier(found: String)
    /// The flatbuffer structure does not hold up (bad offsets, vectors past the end, …).
    case corrupt(String)
    /// The model has no subgraph to run.
    case noSubgraphs
    /// An index in the file points past the list it indexes.
    case indexOutOfRange(what: String, index: Int, count: Int)
    /// A tensor is malformed: negative dimensions, an element count that overflows, an unknown
    /// type, or a constant buffer whose size does not match its shape.
    case invalidTensor(subgraph: Int, tensor: Int, reason: String)
    /// A tensor's quantization parameters are inconsistent.
    case invalidQuantization(subgraph: Int, tensor: Int, reason: String)
    /// An operator's options do not fit its operator.
    case invalidOperator(subgraph: Int, operator: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "cannot read \(path): \(reason)"
        case .empty: "the model file is empty"
        case .tooLarge(let bytes, let limit): "the model is \(bytes) bytes, over the limit of \(limit)"
        case .truncated(let bytes): "the model is truncated: \(bytes) bytes is shorter than a flatbuffer header"
        case .wrongIdentifier(let found): "not a TFLite model: file identifier is \(found), expected \"TFL3\""
        case .corrupt(let detail): "the model is corrupt: \(detail)"
        case .noSubgraphs: "the model has no subgraphs"
        case .indexOutOfRange(let what, let index, let count): "\(what) \(index) is out of range (\(count) exist)"
        case .invalidTensor(let subgraph, let tensor, let reason): "subgraph \(subgraph) tensor \(tensor): \(reason)"
        case .invalidQuantization(let subgraph, let tensor, let reason):
            "subgraph \(subgraph) tensor \(tensor): invalid quantization: \(reason)"
        case .invalidOperator(let subgraph, let op, let reason): "subgraph \(subgraph) operator \(op): \(reason)"
        }
    }
}

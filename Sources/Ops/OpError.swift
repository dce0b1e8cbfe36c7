import TFLiteCore

/// Why an op cannot run with the tensors it was given. The interpreter adds the op's index and
/// name to make the message say where.
package enum OpError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Wrong number of inputs or outputs.
    case arity(String)
    /// An input or output type the kernel does not take (or types that do not agree).
    case unsupportedType(String)
    /// Shapes that do not fit together, or a rank the kernel does not take.
    case invalidShape(String)
    /// Missing or unusable quantization parameters (zero, negative or NaN scale, …).
    case invalidQuantization(String)
    /// Options the kernel cannot honour (zero strides, an axis out of range, …).
    case invalidOptions(String)
    /// An input the kernel needs at prepare time (a shape, a permutation) is not constant.
    case notConstant(String)
    /// A size that would overflow or exceed what can be allocated, or work past a kernel's limit.
    case tooLarge(String)

    package var description: String {
        switch self {
        case .arity(let s), .unsupportedType(let s), .invalidShape(let s), .invalidQuantization(let s),
             .invalidOptions(let s), .notConstant(let s), .tooLarge(let s):
            s
        }
    }
}

import Ops
import TFLiteCore
import TFLiteReader

/// Maps each builtin operator to its kernel's prepare step: the one place that knows which ops
/// exist. Adding an op adds one line here.
enum OpResolver {
    typealias Prepare = (OperatorOptions, inout PrepareContext) throws(OpError) -> any Kernel

    static let kernels: [BuiltinOperator: Prepare] = [
        .reshape: { o, c throws(OpError) in guard case .reshape(let x) = o else { throw mismatch(o) }; return try Reshape.prepare(x, &c) },
    ]

    /// True when a kernel exists for the operator (custom ops never have one).
    static func isSupported(_ op: Model.Operator) -> Bool {
        op.builtin != .custom && kernels[op.builtin] != nil
    }

    /// Prepares `op`'s kernel, or returns nil when no kernel runs this operator.
    static func prepare(_ op: Model.Operator, _ context: inout PrepareContext) throws(OpError) -> (any Kernel)? {
        guard op.builtin != .custom, let prepare = kernels[op.builtin] else { return nil }
        return try prepare(op.options, &context)
    }

    private static func mismatch(_ options: OperatorOptions) -> OpError {
        .invalidOptions("the operator carries options of another operator (\(options))")
    }
}

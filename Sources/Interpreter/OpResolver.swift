import Ops
import TFLiteCore
import TFLiteReader

/// Maps each builtin operator to its kernel's prepare step: the one place that knows which ops
/// exist. Adding an op adds one line here.
enum OpResolver {
    typealias Prepare = (OperatorOptions, inout PrepareContext) throws(OpError) -> any Kernel

    static let kernels: [BuiltinOperator: Prepare] = [
        .add: { o, c throws(OpError) in guard case .arithmetic(let x) = o else { throw mismatch(o) }; return try Add.prepare(x, &c) },
        .averagePool2D: { o, c throws(OpError) in guard case .pool2D(let x) = o else { throw mismatch(o) }; return try AveragePool2D.prepare(x, &c) },
        .concatenation: { o, c throws(OpError) in guard case .concatenation(let x) = o else { throw mismatch(o) }; return try Concatenation.prepare(x, &c) },
        .conv2D: { o, c throws(OpError) in guard case .conv2D(let x) = o else { throw mismatch(o) }; return try Conv2D.prepare(x, &c) },
        .depthwiseConv2D: { o, c throws(OpError) in guard case .depthwiseConv2D(let x) = o else { throw mismatch(o) }; return try DepthwiseConv2D.prepare(x, &c) },
        .dequantize: { _, c throws(OpError) in try Dequantize.prepare(&c) },
        .fullyConnected: { o, c throws(OpError) in guard case .fullyConnected(let x) = o else { throw mismatch(o) }; return try FullyConnected.prepare(x, &c) },
        .hardSwish: { _, c throws(OpError) in try HardSwish.prepare(&c) },
        .leakyRelu: { o, c throws(OpError) in guard case .leakyRelu(let x) = o else { throw mismatch(o) }; return try LeakyRelu.prepare(x, &c) },
        .logistic: { _, c throws(OpError) in try Logistic.prepare(&c) },
        .maxPool2D: { o, c throws(OpError) in guard case .pool2D(let x) = o else { throw mismatch(o) }; return try MaxPool2D.prepare(x, &c) },
        .mean: { o, c throws(OpError) in guard case .reducer(let x) = o else { throw mismatch(o) }; return try Mean.prepare(x, &c) },
        .mul: { o, c throws(OpError) in guard case .arithmetic(let x) = o else { throw mismatch(o) }; return try Mul.prepare(x, &c) },
        .pack: { o, c throws(OpError) in guard case .pack(let x) = o else { throw mismatch(o) }; return try Pack.prepare(x, &c) },
        .pad: { _, c throws(OpError) in try Pad.prepare(&c) },
        BuiltinOperator(rawValue: 60): { _, c throws(OpError) in try Pad.prepare(&c) },  // PADV2
        .quantize: { _, c throws(OpError) in try Quantize.prepare(&c) },
        .relu: { _, c throws(OpError) in try Relu.prepare(.relu, &c) },
        .relu6: { _, c throws(OpError) in try Relu.prepare(.relu6, &c) },
        .reluN1To1: { _, c throws(OpError) in try Relu.prepare(.reluN1To1, &c) },
        .reshape: { o, c throws(OpError) in guard case .reshape(let x) = o else { throw mismatch(o) }; return try Reshape.prepare(x, &c) },
        .shape: { o, c throws(OpError) in guard case .shape(let x) = o else { throw mismatch(o) }; return try Shape.prepare(x, &c) },
        .softmax: { o, c throws(OpError) in guard case .softmax(let x) = o else { throw mismatch(o) }; return try Softmax.prepare(x, &c) },
        .squeeze: { o, c throws(OpError) in guard case .squeeze(let x) = o else { throw mismatch(o) }; return try Squeeze.prepare(x, &c) },
        .stridedSlice: { o, c throws(OpError) in guard case .stridedSlice(let x) = o else { throw mismatch(o) }; return try StridedSlice.prepare(x, &c) },
        .sub: { o, c throws(OpError) in guard case .arithmetic(let x) = o else { throw mismatch(o) }; return try Sub.prepare(x, &c) },
        .transpose: { _, c throws(OpError) in try Transpose.prepare(&c) },
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

// The options of the builtin operators, as plain values: the file's option tables become these
// once, when the model is read, and kernels only ever see these.

/// Options of CONV_2D.
public struct Conv2DOptions: Equatable, Sendable {
    public var padding: Padding
    public var strideWidth: Int
    public var strideHeight: Int
    public var dilationWidth: Int
    public var dilationHeight: Int
    public var activation: FusedActivation

    public init(padding: Padding = .same, strideWidth: Int = 1, strideHeight: Int = 1,
                dilationWidth: Int = 1, dilationHeight: Int = 1, activation: FusedActivation = .none) {
        self.padding = padding
        self.strideWidth = strideWidth
        self.strideHeight = strideHeight
        self.dilationWidth = dilationWidth
        self.dilationHeight = dilationHeight
        self.activation = activation
    }
}

/// Options of DEPTHWISE_CONV_2D.
public struct DepthwiseConv2DOptions: Equatable, Sendable {
    public var padding: Padding
    public var strideWidth: Int
    public var strideHeight: Int
    public var dilationWidth: Int
    public var dilationHeight: Int
    /// Output channels per input channel, as the file states it (TFLite derives the true value
    /// from the filter shape; so do the kernels).
    public var depthMultiplier: Int
    public var activation: FusedActivation

    public init(padding: Padding = .same, strideWidth: Int = 1, strideHeight: Int = 1,
                dilationWidth: Int = 1, dilationHeight: Int = 1, depthMultiplier: Int = 1,
                activation: FusedActivation = .none) {
        self.padding = padding
        self.strideWidth = strideWidth
        self.strideHeight = strideHeight
        self.dilationWidth = dilationWidth
        self.dilationHeight = dilationHeight
        self.depthMultiplier = depthMultiplier
        self.activation = activation
    }
}

/// Options of AVERAGE_POOL_2D and MAX_POOL_2D.
public struct Pool2DOptions: Equatable, Sendable {
    public var padding: Padding
    public var strideWidth: Int
    public var strideHeight: Int
    public var filterWidth: Int
    public var filterHeight: Int
    public var activation: FusedActivation

    public init(padding: Padding = .same, strideWidth: Int = 1, strideHeight: Int = 1,
                filterWidth: Int = 1, filterHeight: Int = 1, activation: FusedActivation = .none) {
        self.padding = padding
        self.strideWidth = strideWidth
        self.strideHeight = strideHeight
        self.filterWidth = filterWidth
        self.filterHeight = filterHeight
        self.activation = activation
    }
}

/// Options of FULLY_CONNECTED.
public struct FullyConnectedOptions: Equatable, Sendable {
    public var activation: FusedActivation
    /// 0 = DEFAULT; 1 = SHUFFLED4x16INT8 (not supported by the kernels).
    public var weightsFormat: Int8
    public var keepNumDims: Bool
    public var asymmetricQuantizeInputs: Bool

    public init(activation: FusedActivation = .none, weightsFormat: Int8 = 0, keepNumDims: Bool = false,
                asymmetricQuantizeInputs: Bool = false) {
        self.activation = activation
        self.weightsFormat = weightsFormat
        self.keepNumDims = keepNumDims
        self.asymmetricQuantizeInputs = asymmetricQuantizeInputs
    }
}

/// Options of SOFTMAX.
public struct SoftmaxOptions: Equatable, Sendable {
    public var beta: Float
    public init(beta: Float = 1) { self.beta = beta }
}

/// Options of CONCATENATION.
public struct ConcatenationOptions: Equatable, Sendable {
    public var axis: Int
    public var activation: FusedActivation
    public init(axis: Int = 0, activation: FusedActivation = .none) {
        self.axis = axis
        self.activation = activation
    }
}

/// Options of ADD, SUB, MUL (and DIV): the fused activation.
public struct ArithmeticOptions: Equatable, Sendable {
    public var activation: FusedActivation
    public init(activation: FusedActivation = .none) { self.activation = activation }
}

/// Options of RESHAPE. The target shape may instead (and preferably) come from input 1.
public struct ReshapeOptions: Equatable, Sendable {
    public var newShape: [Int]?
    public init(newShape: [Int]? = nil) { self.newShape = newShape }
}

/// Options of MEAN and the other reductions.
public struct ReducerOptions: Equatable, Sendable {
    public var keepDims: Bool
    public init(keepDims: Bool = false) { self.keepDims = keepDims }
}

/// Options of SQUEEZE: the dimensions to drop (all of size 1 when empty).
public struct SqueezeOptions: Equatable, Sendable {
    public var squeezeDims: [Int]
    public init(squeezeDims: [Int] = []) { self.squeezeDims = squeezeDims }
}

/// Options of STRIDED_SLICE: bit masks over the dimensions.
public struct StridedSliceOptions: Equatable, Sendable {
    public var beginMask: Int32
    public var endMask: Int32
    public var ellipsisMask: Int32
    public var newAxisMask: Int32
    public var shrinkAxisMask: Int32
    /// When true, `end` is an offset from `begin`.
    public var offset: Bool

    public init(beginMask: Int32 = 0, endMask: Int32 = 0, ellipsisMask: Int32 = 0, newAxisMask: Int32 = 0,
                shrinkAxisMask: Int32 = 0, offset: Bool = false) {
        self.beginMask = beginMask
        self.endMask = endMask
        self.ellipsisMask = ellipsisMask
        self.newAxisMask = newAxisMask
        self.shrinkAxisMask = shrinkAxisMask
        self.offset = offset
    }
}

/// Options of SHAPE: the output element type (INT32 or INT64).
public struct ShapeOptions: Equatable, Sendable {
    public var outputType: DataType
    public init(outputType: DataType = .int32) { self.outputType = outputType }
}

/// Options of PACK.
public struct PackOptions: Equatable, Sendable {
    public var valuesCount: Int
    public var axis: Int
    public init(valuesCount: Int = 0, axis: Int = 0) {
        self.valuesCount = valuesCount
        self.axis = axis
    }
}

/// Options of LEAKY_RELU.
public struct LeakyReluOptions: Equatable, Sendable {
    public var alpha: Float
    public init(alpha: Float = 0) { self.alpha = alpha }
}

/// The typed options of one operator.
public enum OperatorOptions: Equatable, Sendable {
    /// The op has no options, or its options are not ones this package reads.
    case none
    case conv2D(Conv2DOptions)
    case depthwiseConv2D(DepthwiseConv2DOptions)
    case pool2D(Pool2DOptions)
    case fullyConnected(FullyConnectedOptions)
    case softmax(SoftmaxOptions)
    case concatenation(ConcatenationOptions)
    case arithmetic(ArithmeticOptions)
    case reshape(ReshapeOptions)
    case reducer(ReducerOptions)
    case squeeze(SqueezeOptions)
    case stridedSlice(StridedSliceOptions)
    case shape(ShapeOptions)
    case pack(PackOptions)
    case leakyRelu(LeakyReluOptions)
}

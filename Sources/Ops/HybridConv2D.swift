import TFLiteCore

/// CONV_2D of a dynamic-range ("hybrid") model: float input and output, INT8 weights.
enum HybridConv2D {
    static func prepare(geometry: ConvolutionShape, filter: TensorDescription, bias: TensorDescription?, activation: FusedActivation,
                        threads: Int) throws(OpError) -> any Kernel {
        throw .unsupportedType("CONV_2D with INT8 weights on FLOAT32 input (dynamic-range quantization) is not supported yet")
    }
}

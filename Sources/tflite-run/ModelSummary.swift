import Foundation
import TFLiteCore
import TFLiteReader

/// What `dump` reports of a model beyond the reader's values: option fields by schema name,
/// parameter counts and multiply-accumulates.
enum ModelSummary {
    /// The options of an operator as (schema field name, JSON value) pairs.
    static func options(_ op: Model.Operator) -> [(String, Any)] {
        switch op.options {
        case .none: return []
        case .conv2D(let o):
            return [("padding", o.padding.schemaName), ("stride_w", o.strideWidth), ("stride_h", o.strideHeight),
                    ("dilation_w_factor", o.dilationWidth), ("dilation_h_factor", o.dilationHeight),
                    ("fused_activation_function", o.activation.schemaName)]
        case .depthwiseConv2D(let o):
            return [("padding", o.padding.schemaName), ("stride_w", o.strideWidth), ("stride_h", o.strideHeight),
                    ("depth_multiplier", o.depthMultiplier), ("dilation_w_factor", o.dilationWidth),
                    ("dilation_h_factor", o.dilationHeight), ("fused_activation_function", o.activation.schemaName)]
        case .pool2D(let o):
            return [("padding", o.padding.schemaName), ("stride_w", o.strideWidth), ("stride_h", o.strideHeight),
                    ("filter_width", o.filterWidth), ("filter_height", o.filterHeight), ("fused_activation_function", o.activation.schemaName)]
        case .fullyConnected(let o):
            return [("fused_activation_function", o.activation.schemaName), ("weights_format", o.weightsFormat == 0 ? "DEFAULT" : "SHUFFLED4x16INT8"),
                    ("keep_num_dims", o.keepNumDims), ("asymmetric_quantize_inputs", o.asymmetricQuantizeInputs)]
        case .softmax(let o): return [("beta", Double(o.beta))]
        case .concatenation(let o): return [("axis", o.axis), ("fused_activation_function", o.activation.schemaName)]
        case .arithmetic(let o): return [("fused_activation_function", o.activation.schemaName)]
        case .reshape(let o): return o.newShape.map { [("new_shape", $0)] } ?? []
        case .reducer(let o): return [("keep_dims", o.keepDims)]
        case .squeeze(let o): return [("squeeze_dims", o.squeezeDims)]
        case .stridedSlice(let o):
            return [("begin_mask", Int(o.beginMask)), ("end_mask", Int(o.endMask)), ("ellipsis_mask", Int(o.ellipsisMask)),
                    ("new_axis_mask", Int(o.newAxisMask)), ("shrink_axis_mask", Int(o.shrinkAxisMask)), ("offset", o.offset)]
        case .shape(let o): return [("out_type", o.outputType.schemaName)]
        case .pack(let o): return [("values_count", o.valuesCount), ("axis", o.axis)]
        case .leakyRelu(let o): return [("alpha", Double(o.alpha))]
        }
    }

    /// Multiply-accumulates of one operator: convolutions and fully connected layers count
    /// one per weight use; other operators count 0.
    static func macs(_ op: Model.Operator, in subgraph: Model.Subgraph) -> Int {
        func shape(_ position: Int, outputs: Bool = false) -> [Int] {
            let list = outputs ? op.outputs : op.inputs
            guard position < list.count, list[position] >= 0, list[position] < subgraph.tensors.count else { return [] }
            return subgraph.tensors[list[position]].shape
        }
        let out = shape(0, outputs: true), filter = shape(1)
        func product(_ values: [Int]) -> Int {
            values.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max / 2 : $0 * $1 }
        }
        switch op.builtin {
        case .conv2D where out.count == 4 && filter.count == 4:
            return product([out[0], out[1], out[2], out[3], filter[1], filter[2], filter[3]])
        case .depthwiseConv2D where out.count == 4 && filter.count == 4:
            return product([out[0], out[1], out[2], out[3], filter[1], filter[2]])
        case .fullyConnected where filter.count == 2:
            return product([max(1, product(out) / max(filter[0], 1)), filter[0], filter[1]])
        default:
            return 0
        }
    }

    /// Elements of constant tensors (the model's parameters).
    static func parameterCount(_ model: Model, _ subgraph: Model.Subgraph) -> Int {
        subgraph.tensors.filter { model.constantData(of: $0) != nil }.reduce(0) { $0 + $1.elementCount }
    }

    static func describe(_ tensor: Model.Tensor) -> String {
        "\(tensor.type.schemaName)\(tensor.shape)"
    }

    static func quantization(_ q: QuantizationParameters?) -> String {
        guard let q else { return "" }
        if q.scales.count == 1 { return "scale \(q.scales[0]) zero point \(q.zeroPoints.first ?? 0)" }
        return "\(q.scales.count) per-channel scales along dimension \(q.quantizedDimension)"
    }
}

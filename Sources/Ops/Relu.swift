import TFLiteCore

/// RELU, RELU6, RELU_N1_TO_1: clamp to [0, ∞), [0, 6], [−1, 1]. FLOAT32; INT8 and UINT8 with
/// TFLite's requantization from the input's to the output's scale (as a byte table).
package enum Relu {
    package enum Kind: Sendable { case relu, relu6, reluN1To1 }

    package static func prepare(_ kind: Kind, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.float32, .int8, .uint8])
        guard output.type == input.type else { throw .unsupportedType("output must be \(input.type.schemaName)") }
        let (low, high): (Float, Float) = switch kind {
        case .relu: (0, .infinity)
        case .relu6: (0, 6)
        case .reluN1To1: (-1, 1)
        }
        if input.type == .float32 { return FloatUnaryKernel(.clamp(low, high), count: input.elementCount) }
        let (si, zi) = try input.perTensorQuantization("input")
        let (so, zo) = try output.perTensorQuantization("output")
        guard let range = output.type.quantizedRange else { throw .unsupportedType("\(output.type.schemaName)") }
        let multiplier = QuantizedMultiplier(Double(si / so))
        let lo = max(range.min, zo &+ Int32((low / so).rounded(.toNearestOrAwayFromZero)))
        let hi = high == .infinity ? range.max : min(range.max, zo &+ Int32((high / so).rounded(.toNearestOrAwayFromZero)))
        return ByteTableKernel(inputSigned: input.type == .int8, count: input.elementCount) { x in
            min(max(zo &+ multiplier.apply(x &- zi), lo), hi)
        }
    }
}

/// LEAKY_RELU: `x > 0 ? x : alpha · x`. FLOAT32.
package enum LeakyRelu {
    package static func prepare(_ options: LeakyReluOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, _) = try prepareElementwise(&context, types: [.float32])
        return FloatUnaryKernel(.leakyRelu(options.alpha), count: input.elementCount)
    }
}

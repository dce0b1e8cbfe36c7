import TFLiteCore

/// RELU, RELU6, RELU_N1_TO_1: clamp to [0, ∞), [0, 6], [−1, 1]. FLOAT32; INT8 and UINT8 (and
/// INT16 for RELU and RELU6, zero points 0) with TFLite's requantization from the input's to the
/// output's scale (activations.cc `ReluPrepare`, `QuantizedReluX`, reference `ReluX`):
/// `clamp(zp_out + MultiplyByQuantizedMultiplier(x − zp_in, s_in / s_out))`.
package enum Relu {
    package enum Kind: Sendable {
        case relu, relu6, reluN1To1

        var name: String {
            switch self {
            case .relu: "RELU"
            case .relu6: "RELU6"
            case .reluN1To1: "RELU_N1_TO_1"
            }
        }

        /// The float bounds; RELU's upper bound is +∞.
        var bounds: (lower: Float, upper: Float) {
            switch self {
            case .relu: (0, .infinity)
            case .relu6: (0, 6)
            case .reluN1To1: (-1, 1)
            }
        }
    }

    package static func prepare(_ kind: Kind, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let types: Set<DataType> = kind == .reluN1To1 ? [.float32, .int8, .uint8] : [.float32, .int8, .uint8, .int16]
        let (input, output) = try prepareSameTypeElementwise(kind.name, &context, types: types)
        let (lower, upper) = kind.bounds
        if input.type == .float32 { return FloatUnaryKernel(.clamp(lower, upper), count: input.elementCount) }
        let parameters = try QuantizedParameters(kind, input: input, output: output)
        if input.type == .int16 { return Int16ReluKernel(parameters: parameters, count: input.elementCount) }
        return ByteTableKernel(inputSigned: input.type == .int8, count: input.elementCount, isa: context.kernelISA, compute: parameters.reference)
    }

    /// What `ReluPrepare` and `QuantizedReluX` compute.
    package struct QuantizedParameters: Sendable {
        package var inputZeroPoint: Int32
        package var outputZeroPoint: Int32
        package var multiplier: QuantizedMultiplier
        package var activationMin: Int32
        package var activationMax: Int32

        package init(_ kind: Kind, input: TensorDescription, output: TensorDescription) throws(OpError) {
            let (si, zi) = try input.perTensorQuantization("\(kind.name) input")
            let (so, zo) = try output.perTensorQuantization("\(kind.name) output")
            guard let range = output.type.quantizedRange else { throw .unsupportedType("\(kind.name) output \(output.type.schemaName)") }
            if input.type == .int16 {
                guard zi == 0, zo == 0 else { throw .invalidQuantization("INT16 \(kind.name) needs zero points of 0, got \(zi) and \(zo)") }
            }
            inputZeroPoint = zi
            outputZeroPoint = zo
            // `double real_multiplier = input->params.scale / output->params.scale;` (float division).
            multiplier = QuantizedMultiplier(Double(si / so))
            // zero_point + (int32)roundf(bound / scale), clamped to the type's range.
            let (lower, upper) = kind.bounds
            func quantize(_ value: Float) -> Int32 {
                let q = (value / so).rounded(.toNearestOrAwayFromZero)
                return zo &+ (abs(q) < 2_147_483_520 ? Int32(q) : (q < 0 ? Int32.min / 2 : Int32.max / 2))
            }
            activationMin = max(range.min, quantize(lower))
            activationMax = upper == .infinity ? range.max : min(range.max, quantize(upper))
        }

        /// The reference `ReluX` for one input value.
        @inline(__always)
        package func reference(_ x: Int32) -> Int32 {
            let value = outputZeroPoint &+ multiplyByQuantizedMultiplier(x &- inputZeroPoint, multiplier.multiplier, multiplier.shift)
            return min(max(value, activationMin), activationMax)
        }
    }
}

/// INT16 RELU / RELU6, computed per element (a table would have 65536 entries).
final class Int16ReluKernel: Kernel {
    let parameters: Relu.QuantizedParameters
    let count: Int

    init(parameters: Relu.QuantizedParameters, count: Int) {
        self.parameters = parameters
        self.count = count
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Int16.self), output = args.output(0, as: Int16.self)
        let p = parameters
        let multiplier = PreparedMultiplier(p.multiplier)
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, p, multiplier)) { c, range in
            let (input, output, p, multiplier) = c
            for i in range {
                let value = p.outputZeroPoint &+ multiplier.apply(Int32(input[i]) &- p.inputZeroPoint)
                output[i] = Int16(truncatingIfNeeded: min(max(value, p.activationMin), p.activationMax))
            }
        }
    }
}

import TFLiteCore

/// LEAKY_RELU: `x > 0 ? x : alpha · x`. FLOAT32; INT8 and UINT8 (as a byte table) and INT16
/// (zero points 0) with TFLite's reference arithmetic (activations.cc `LeakyReluPrepare`,
/// reference/leaky_relu.h `QuantizeLeakyRelu`): two multipliers, one for x ≥ zp (s_in / s_out)
/// and one for x < zp (s_in · alpha / s_out, negative alpha applied as a negated result).
package enum LeakyRelu {
    package static func prepare(_ options: LeakyReluOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareSameTypeElementwise("LEAKY_RELU", &context, types: [.float32, .int8, .uint8, .int16])
        if input.type == .float32 { return FloatUnaryKernel(.leakyRelu(options.alpha), count: input.elementCount) }
        let parameters = try QuantizedParameters(alpha: options.alpha, input: input, output: output)
        if input.type == .int16 { return Int16LeakyReluKernel(parameters: parameters, count: input.elementCount) }
        return ByteTableKernel(inputSigned: input.type == .int8, count: input.elementCount, isa: context.kernelISA, compute: parameters.reference)
    }

    package struct QuantizedParameters: Sendable {
        package var inputZeroPoint: Int32
        package var outputZeroPoint: Int32
        package var alphaMultiplier: QuantizedMultiplier
        package var identityMultiplier: QuantizedMultiplier
        package var outputMin: Int32
        package var outputMax: Int32

        package init(alpha: Float, input: TensorDescription, output: TensorDescription) throws(OpError) {
            let (si, zi) = try input.perTensorQuantization("LEAKY_RELU input")
            let (so, zo) = try output.perTensorQuantization("LEAKY_RELU output")
            guard let range = output.type.quantizedRange else { throw .unsupportedType("LEAKY_RELU output \(output.type.schemaName)") }
            if input.type == .int16 {
                guard zi == 0, zo == 0 else { throw .invalidQuantization("INT16 LEAKY_RELU needs zero points of 0, got \(zi) and \(zo)") }
            }
            guard alpha.isFinite else { throw .invalidOptions("LEAKY_RELU alpha \(alpha) is not finite") }
            inputZeroPoint = zi
            outputZeroPoint = zo
            // `input->params.scale * params->alpha / output->params.scale` and
            // `input->params.scale / output->params.scale`, in float, then widened.
            alphaMultiplier = QuantizedMultiplier(Double(si * alpha / so))
            identityMultiplier = QuantizedMultiplier(Double(si / so))
            (outputMin, outputMax) = (range.min, range.max)
        }

        /// The reference `QuantizeLeakyRelu` for one input value.
        @inline(__always)
        package func reference(_ x: Int32) -> Int32 {
            let value = x &- inputZeroPoint
            var output = outputZeroPoint
            if value >= 0 {
                output = output &+ multiplyByQuantizedMultiplier(value, identityMultiplier.multiplier, identityMultiplier.shift)
            } else {
                let negative = alphaMultiplier.multiplier < 0
                let scaled = multiplyByQuantizedMultiplier(value, negative ? 0 &- alphaMultiplier.multiplier : alphaMultiplier.multiplier,
                                                           alphaMultiplier.shift)
                output = output &+ (negative ? 0 &- scaled : scaled)
            }
            return min(outputMax, max(outputMin, output))
        }
    }
}

/// INT16 LEAKY_RELU, computed per element.
final class Int16LeakyReluKernel: Kernel {
    let parameters: LeakyRelu.QuantizedParameters
    let count: Int

    init(parameters: LeakyRelu.QuantizedParameters, count: Int) {
        self.parameters = parameters
        self.count = count
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Int16.self), output = args.output(0, as: Int16.self)
        let p = parameters
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, p)) { c, range in
            let (input, output, p) = c
            for i in range { output[i] = Int16(truncatingIfNeeded: p.reference(Int32(input[i]))) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TFLiteCore

/// LOGISTIC: `1 / (1 + e^−x)`. FLOAT32 with the reference cut-offs (reference/logistic.h).
/// INT8 and UINT8 as TFLite's reference kernel computes them (activations.cc `SigmoidPrepare` for
/// kReference): a 256-entry table filled by `LUTPopulate` — dequantize, `1 / (1 + exp(−x))` in
/// float, round half away from zero, requantize — with the output scale required to be 1/256.
package enum Logistic {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareSameTypeElementwise("LOGISTIC", &context, types: [.float32, .int8, .uint8])
        if input.type == .float32 { return FloatUnaryKernel(.logistic, count: input.elementCount) }
        let (inputScale, inputZeroPoint) = try input.perTensorQuantization("LOGISTIC input")
        let (outputScale, outputZeroPoint) = try output.perTensorQuantization("LOGISTIC output")
        guard Double(outputScale) == 1.0 / 256 else {
            throw .invalidQuantization("LOGISTIC output scale must be 1/256, got \(outputScale)")
        }
        guard let range = output.type.quantizedRange else { throw .unsupportedType("LOGISTIC output \(output.type.schemaName)") }
        return ByteTableKernel(inputSigned: input.type == .int8, count: input.elementCount, isa: context.kernelISA) { x in
            lookupTableEntry(x, inputScale: inputScale, inputZeroPoint: inputZeroPoint, outputScale: outputScale,
                             outputZeroPoint: outputZeroPoint, range: range)
        }
    }

    /// One entry of TFLite's `LUTPopulateInt8` with the logistic transform, for input value `x`.
    package static func lookupTableEntry(_ x: Int32, inputScale: Float, inputZeroPoint: Int32, outputScale: Float,
                                         outputZeroPoint: Int32, range: (min: Int32, max: Int32)) -> Int32 {
        let inverseScale = 1 / outputScale
        let dequantized = inputScale * Float(x &- inputZeroPoint)
        let transformed = 1 / (1 + expf(-dequantized))
        let rescaled = (transformed * inverseScale).rounded(.toNearestOrAwayFromZero)
        let quantized = int32TruncatingAsX86(rescaled + Float(outputZeroPoint))
        return max(min(range.max, quantized), range.min)
    }
}

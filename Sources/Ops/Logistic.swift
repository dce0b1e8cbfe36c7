#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TFLiteCore

/// LOGISTIC: `1 / (1 + e^−x)`. FLOAT32 (with TFLite's reference cut-offs); INT8 and UINT8 through
/// the 256-entry table TFLite's kernel builds: dequantize, apply in float, round, requantize.
package enum Logistic {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.float32, .int8, .uint8])
        guard output.type == input.type else { throw .unsupportedType("output must be \(input.type.schemaName)") }
        if input.type == .float32 { return FloatUnaryKernel(.logistic, count: input.elementCount) }
        let (si, zi) = try input.perTensorQuantization("input")
        let (so, zo) = try output.perTensorQuantization("output")
        guard let range = output.type.quantizedRange else { throw .unsupportedType("\(output.type.schemaName)") }
        let inverseScale = 1 / so
        return ByteTableKernel(inputSigned: input.type == .int8, count: input.elementCount) { x in
            let dequantized = si * Float(x - zi)
            let transformed = 1 / (1 + expf(-dequantized))
            let rescaled = (transformed * inverseScale).rounded(.toNearestOrAwayFromZero)
            return min(max(Int32(rescaled + Float(zo)), range.min), range.max)
        }
    }
}

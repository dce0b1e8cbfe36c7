import TFLiteCore

/// QUANTIZE: FLOAT32 → INT8/UINT8 (`round(x / scale) + zero point`, clamped), and INT8/UINT8 →
/// INT8/UINT8 requantization (`MultiplyByQuantizedMultiplier(x − zp_in, s_in / s_out) + zp_out`).
package enum Quantize {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.float32, .int8, .uint8])
        let (outputScale, outputZeroPoint) = try output.perTensorQuantization("output")
        guard let range = output.type.quantizedRange, output.type != .int16 else {
            throw .unsupportedType("QUANTIZE to \(output.type.schemaName) is not supported")
        }
        if input.type == .float32 {
            guard output.quantization?.scales.count == 1 else { throw .unsupportedType("per-channel QUANTIZE is not supported") }
            return FloatQuantizeKernel(count: input.elementCount, scale: outputScale, zeroPoint: outputZeroPoint, minimum: range.min, maximum: range.max)
        }
        let (inputScale, inputZeroPoint) = try input.perTensorQuantization("input")
        let multiplier = QuantizedMultiplier(Double(inputScale) / Double(outputScale))
        return ByteTableKernel(inputSigned: input.type == .int8, count: input.elementCount) { x in
            min(max(multiplier.apply(x &- inputZeroPoint) &+ outputZeroPoint, range.min), range.max)
        }
    }
}

final class FloatQuantizeKernel: Kernel {
    let count: Int, scale: Float, zeroPoint: Int32, minimum: Int32, maximum: Int32

    init(count: Int, scale: Float, zeroPoint: Int32, minimum: Int32, maximum: Int32) {
        self.count = count
        self.scale = scale
        self.zeroPoint = zeroPoint
        self.minimum = minimum
        self.maximum = maximum
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Float.self), output = args.output(0, as: UInt8.self)
        let lo = Float(minimum), hi = Float(maximum), zp = Float(zeroPoint)
        for i in 0..<count {
            // round(x / scale) in float, as TFLite; clamp in float before converting (NaN → lo).
            let q = (input[i] / scale).rounded(.toNearestOrAwayFromZero) + zp
            let clamped = q >= lo ? min(q, hi) : lo
            output[i] = UInt8(truncatingIfNeeded: Int32(clamped))
        }
    }
}

import TFLiteCore

/// DEQUANTIZE: INT8/UINT8 → FLOAT32 (`scale · (x − zero point)`, computed in double as the
/// reference does), and FLOAT16 → FLOAT32 (what float16-weight models put before their
/// convolutions; the interpreter folds those at prepare time).
package enum Dequantize {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.int8, .uint8, .float16])
        guard output.type == .float32 else { throw .unsupportedType("DEQUANTIZE output must be FLOAT32") }
        if input.type == .float16 { return HalfToFloatKernel(count: input.elementCount) }
        guard let q = input.quantization, q.scales.count == 1 else {
            throw .unsupportedType("per-channel DEQUANTIZE is not supported")
        }
        let (scale, zeroPoint) = try input.perTensorQuantization("input")
        return ByteToFloatTableKernel(inputSigned: input.type == .int8, count: input.elementCount) { x in
            Float(Double(scale) * Double(x - zeroPoint))
        }
    }
}

final class HalfToFloatKernel: Kernel {
    let count: Int
    init(count: Int) { self.count = count }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: UInt16.self), output = args.output(0, as: Float.self)
        for i in 0..<count { output[i] = Self.float(fromHalf: input[i]) }
    }

    /// IEEE 754 binary16 → binary32, exactly (subnormals, infinities and NaN included).
    @inline(__always)
    static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2^−24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}

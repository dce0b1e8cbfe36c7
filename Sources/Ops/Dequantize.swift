import TFLiteCore

/// DEQUANTIZE → FLOAT32, as TFLite's reference kernel (dequantize.h `DequantizeImpl`):
/// - INT8/UINT8/INT16 per tensor: `(float)(scale · (x − zero point))` with the product in double
///   (reference `Dequantize`, `scale` held as a double); 8-bit inputs through a 256-entry table.
///   INT16 needs a zero point of 0.
/// - INT8/UINT8 per channel: `scale[c] · (x − zero_point[c])` in float (`PerChannelDequantize`).
/// - FLOAT16: IEEE binary16 → binary32, exactly (what float16-weight models put before their
///   convolutions; the interpreter folds those at prepare time).
package enum Dequantize {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.int8, .uint8, .int16, .float16])
        guard output.type == .float32 else { throw .unsupportedType("DEQUANTIZE output must be FLOAT32, got \(output.type.schemaName)") }
        let count = input.elementCount
        if input.type == .float16 { return HalfToFloatKernel(count: count) }
        guard let q = input.quantization, !q.scales.isEmpty else {
            throw .invalidQuantization("DEQUANTIZE input has no quantization parameters")
        }
        if q.scales.count > 1 {
            guard input.type != .int16 else { throw .unsupportedType("per-channel DEQUANTIZE of INT16 is not supported") }
            let layout = try ChannelLayout(input, q, "DEQUANTIZE input")
            var scales: [Float] = [], zeroPoints: [Int32] = []
            for c in 0..<layout.channels {
                let scale = q.scales[c]
                guard scale.isFinite, scale > 0 else { throw .invalidQuantization("DEQUANTIZE input scale \(scale) is not a positive number") }
                guard let zeroPoint = Int32(exactly: q.zeroPoints.count == 1 ? q.zeroPoints[0] : q.zeroPoints[c]) else {
                    throw .invalidQuantization("DEQUANTIZE input zero point is out of range")
                }
                scales.append(scale)
                zeroPoints.append(zeroPoint)
            }
            return PerChannelDequantizeKernel(signed: input.type == .int8, layout: layout, scales: scales, zeroPoints: zeroPoints)
        }
        let (scale, zeroPoint) = try input.perTensorQuantization("DEQUANTIZE input")
        if input.type == .int16 {
            guard zeroPoint == 0 else { throw .invalidQuantization("INT16 DEQUANTIZE needs a zero point of 0, got \(zeroPoint)") }
            return Int16DequantizeKernel(count: count, scale: scale, zeroPoint: zeroPoint)
        }
        return ByteToFloatTableKernel(inputSigned: input.type == .int8, count: count) { x in
            dequantize(x, scale: scale, zeroPoint: zeroPoint)
        }
    }

    /// One element of the reference per-tensor `Dequantize`.
    @inline(__always)
    package static func dequantize(_ x: Int32, scale: Float, zeroPoint: Int32) -> Float {
        Float(Double(scale) * Double(x &- zeroPoint))
    }

    /// IEEE 754 binary16 → binary32, exactly (subnormals, infinities and NaN payloads included).
    @inline(__always)
    package static func float(fromHalf h: UInt16) -> Float {
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

final class HalfToFloatKernel: Kernel {
    let count: Int
    init(count: Int) { self.count = count }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: UInt16.self), output = args.output(0, as: Float.self)
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output)) { c, range in
            let (input, output) = c
            for i in range { output[i] = Dequantize.float(fromHalf: input[i]) }
        }
    }
}

final class Int16DequantizeKernel: Kernel {
    let count: Int, scale: Float, zeroPoint: Int32

    init(count: Int, scale: Float, zeroPoint: Int32) {
        self.count = count
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Int16.self), output = args.output(0, as: Float.self)
        let scale = scale, zeroPoint = zeroPoint
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, scale, zeroPoint)) { c, range in
            let (input, output, scale, zeroPoint) = c
            for i in range { output[i] = Dequantize.dequantize(Int32(input[i]), scale: scale, zeroPoint: zeroPoint) }
        }
    }
}

/// INT8/UINT8 with a scale and zero point per channel.
final class PerChannelDequantizeKernel: Kernel {
    let signed: Bool
    let layout: ChannelLayout
    let scales: AlignedBuffer<Float>
    let zeroPoints: AlignedBuffer<Int32>

    init(signed: Bool, layout: ChannelLayout, scales: [Float], zeroPoints: [Int32]) {
        self.signed = signed
        self.layout = layout
        self.scales = AlignedBuffer(scales)
        self.zeroPoints = AlignedBuffer(zeroPoints)
    }

    func eval(_ args: KernelArguments) {
        if signed { run(Int8.self, args) } else { run(UInt8.self, args) }
    }

    @inline(__always)
    private func run<Input: FixedWidthInteger>(_: Input.Type, _ args: KernelArguments) {
        let input = args.input(0, as: Input.self), output = args.output(0, as: Float.self)
        let (channels, inner) = (layout.channels, layout.inner)
        let scales = scales.pointer, zeroPoints = zeroPoints.pointer
        let context = (input, output, channels, inner, scales, zeroPoints)
        args.runner.forEachRange(count: layout.outer * channels, grain: max(1, elementwiseParallelGrain / max(inner, 1)), context: context) { c, blocks in
            let (input, output, channels, inner, scales, zeroPoints) = c
            for block in blocks {
                let c = block % channels, base = block * inner
                let scale = scales[c], zeroPoint = zeroPoints[c]
                // `static_cast<float>(scale[channel] * (val - zero_point[channel]))`: float · int → float.
                for i in base..<(base + inner) { output[i] = scale * Float(Int32(input[i]) &- zeroPoint) }
            }
        }
    }
}

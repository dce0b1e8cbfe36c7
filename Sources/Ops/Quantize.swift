import TFLiteCore

/// QUANTIZE, as TFLite's reference kernel (quantize.cc, reference/quantize.h, requantize.h):
/// - FLOAT32 → INT8/UINT8/INT16: `clamp((int32)round(x / scale) + zero point)`, the division in
///   float and the rounding half away from zero (`TfLiteRound`); per tensor, or per channel
///   along the output's quantized dimension.
/// - INT8/UINT8 → INT8/UINT8/INT16 and INT16 → INT8/INT16 requantization:
///   `clamp(MultiplyByQuantizedMultiplier(x − zp_in, s_in / s_out) + zp_out)`, the factor in
///   double. 8-bit inputs go through a 256-entry table.
package enum Quantize {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.float32, .int8, .uint8, .int16])
        guard let q = output.quantization, !q.scales.isEmpty else {
            throw .invalidQuantization("QUANTIZE output has no quantization parameters")
        }
        let count = input.elementCount
        switch (input.type, output.type) {
        case (.float32, .int8), (.float32, .uint8), (.float32, .int16):
            let target = try OutputType(output.type)
            if q.scales.count > 1 {
                let layout = try ChannelLayout(output, q, "QUANTIZE output")
                var scales: [Float] = [], zeroPoints: [Int32] = []
                for c in 0..<layout.channels {
                    let scale = q.scales[c]
                    guard scale.isFinite, scale > 0 else { throw .invalidQuantization("QUANTIZE output scale \(scale) is not a positive number") }
                    guard let zeroPoint = Int32(exactly: q.zeroPoints.count == 1 ? q.zeroPoints[0] : q.zeroPoints[c]) else {
                        throw .invalidQuantization("QUANTIZE output zero point is out of range")
                    }
                    scales.append(scale)
                    zeroPoints.append(zeroPoint)
                }
                return PerChannelQuantizeKernel(target, layout: layout, scales: scales, zeroPoints: zeroPoints)
            }
            let (scale, zeroPoint) = try output.perTensorQuantization("QUANTIZE output")
            return FloatQuantizeKernel(target, count: count, scale: scale, zeroPoint: zeroPoint)
        case (.int8, .int8), (.int8, .uint8), (.int8, .int16), (.uint8, .int8), (.uint8, .uint8), (.uint8, .int16),
             (.int16, .int8), (.int16, .int16):
            guard q.scales.count == 1, input.quantization?.scales.count == 1 else {
                throw .unsupportedType("per-channel requantization is not supported")
            }
            let parameters = try RequantizeParameters(input: input, output: output)
            switch (input.type, output.type) {
            case (.int16, _): return Int16RequantizeKernel(parameters: parameters, toInt16: output.type == .int16, count: count)
            case (_, .int16): return ByteToInt16TableKernel(inputSigned: input.type == .int8, count: count, compute: parameters.reference)
            default: return ByteTableKernel(inputSigned: input.type == .int8, count: count, isa: context.kernelISA, compute: parameters.reference)
            }
        default:
            throw .unsupportedType("QUANTIZE from \(input.type.schemaName) to \(output.type.schemaName) is not supported")
        }
    }

    /// One element of `AffineQuantize` / `PerChannelQuantize`: `(int32)TfLiteRound(x / scale)`
    /// (the division in float, rounding half away from zero), plus the zero point, clamped. The
    /// float → int32 conversion of values beyond Int32 (and NaN) gives Int32.min as x86 does, and
    /// the zero point then wraps as the C++ addition does in practice: LiteRT quantizes +∞ to the
    /// type's minimum with a zero point ≥ 0 and to its maximum with a negative one.
    @inline(__always)
    package static func quantize(_ x: Float, scale: Float, zeroPoint: Int32, min lo: Int32, max hi: Int32) -> Int32 {
        let rounded = int32TruncatingAsX86((x / scale).rounded(.toNearestOrAwayFromZero))
        return min(max(rounded &+ zeroPoint, lo), hi)
    }

    /// The integer output types of QUANTIZE.
    enum OutputType {
        case int8, uint8, int16

        init(_ type: DataType) throws(OpError) {
            switch type {
            case .int8: self = .int8
            case .uint8: self = .uint8
            case .int16: self = .int16
            default: throw .unsupportedType("QUANTIZE to \(type.schemaName) is not supported")
            }
        }
    }

    /// What quantize.cc's `Prepare` computes for requantization.
    package struct RequantizeParameters: Sendable {
        package var inputZeroPoint: Int32
        package var outputZeroPoint: Int32
        package var multiplier: QuantizedMultiplier
        package var outputMin: Int32
        package var outputMax: Int32

        package init(input: TensorDescription, output: TensorDescription) throws(OpError) {
            let (si, zi) = try input.perTensorQuantization("QUANTIZE input")
            let (so, zo) = try output.perTensorQuantization("QUANTIZE output")
            guard let range = output.type.quantizedRange else { throw .unsupportedType("QUANTIZE output \(output.type.schemaName)") }
            if input.type == .int16 && output.type == .int16 {
                guard zi == 0, zo == 0 else { throw .invalidQuantization("INT16 → INT16 QUANTIZE needs zero points of 0, got \(zi) and \(zo)") }
            }
            inputZeroPoint = zi
            outputZeroPoint = zo
            // `static_cast<double>(input->params.scale) / static_cast<double>(output->params.scale)`.
            multiplier = QuantizedMultiplier(Double(si) / Double(so))
            (outputMin, outputMax) = (range.min, range.max)
        }

        /// The reference `Requantize` for one input value (its int8 ↔ uint8 fast path, an XOR
        /// with 0x80, gives the same bytes as this general form).
        @inline(__always)
        package func reference(_ x: Int32) -> Int32 {
            let output = multiplyByQuantizedMultiplier(x &- inputZeroPoint, multiplier.multiplier, multiplier.shift) &+ outputZeroPoint
            return max(min(output, outputMax), outputMin)
        }
    }
}

/// FLOAT32 → INT8/UINT8/INT16 with one scale and zero point.
final class FloatQuantizeKernel: Kernel {
    let target: Quantize.OutputType
    let count: Int, scale: Float, zeroPoint: Int32

    init(_ target: Quantize.OutputType, count: Int, scale: Float, zeroPoint: Int32) {
        self.target = target
        self.count = count
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    func eval(_ args: KernelArguments) {
        switch target {
        case .int8: run(Int8.self, args)
        case .uint8: run(UInt8.self, args)
        case .int16: run(Int16.self, args)
        }
    }

    @inline(__always)
    private func run<Output: FixedWidthInteger>(_: Output.Type, _ args: KernelArguments) {
        let input = args.input(0, as: Float.self), output = args.output(0, as: Output.self)
        let scale = scale, zeroPoint = zeroPoint, lo = Int32(Output.min), hi = Int32(Output.max)
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, scale, zeroPoint, lo, hi)) { c, range in
            let (input, output, scale, zeroPoint, lo, hi) = c
            for i in range {
                output[i] = Output(truncatingIfNeeded: Quantize.quantize(input[i], scale: scale, zeroPoint: zeroPoint, min: lo, max: hi))
            }
        }
    }
}

/// FLOAT32 → INT8/UINT8/INT16 with a scale and zero point per channel (`PerChannelQuantize`).
final class PerChannelQuantizeKernel: Kernel {
    let target: Quantize.OutputType
    let layout: ChannelLayout
    let scales: AlignedBuffer<Float>
    let zeroPoints: AlignedBuffer<Int32>

    init(_ target: Quantize.OutputType, layout: ChannelLayout, scales: [Float], zeroPoints: [Int32]) {
        self.target = target
        self.layout = layout
        self.scales = AlignedBuffer(scales)
        self.zeroPoints = AlignedBuffer(zeroPoints)
    }

    func eval(_ args: KernelArguments) {
        switch target {
        case .int8: run(Int8.self, args)
        case .uint8: run(UInt8.self, args)
        case .int16: run(Int16.self, args)
        }
    }

    @inline(__always)
    private func run<Output: FixedWidthInteger>(_: Output.Type, _ args: KernelArguments) {
        let input = args.input(0, as: Float.self), output = args.output(0, as: Output.self)
        let (channels, inner) = (layout.channels, layout.inner)
        let scales = scales.pointer, zeroPoints = zeroPoints.pointer
        let lo = Int32(Output.min), hi = Int32(Output.max)
        let context = (input, output, channels, inner, scales, zeroPoints, lo, hi)
        args.runner.forEachRange(count: layout.outer * channels, grain: max(1, elementwiseParallelGrain / max(inner, 1)), context: context) { c, blocks in
            let (input, output, channels, inner, scales, zeroPoints, lo, hi) = c
            for block in blocks {
                let c = block % channels, base = block * inner
                let scale = scales[c], zeroPoint = zeroPoints[c]
                for i in base..<(base + inner) {
                    output[i] = Output(truncatingIfNeeded: Quantize.quantize(input[i], scale: scale, zeroPoint: zeroPoint, min: lo, max: hi))
                }
            }
        }
    }
}

/// INT16 → INT8/INT16 requantization, computed per element.
final class Int16RequantizeKernel: Kernel {
    let parameters: Quantize.RequantizeParameters
    let toInt16: Bool
    let count: Int

    init(parameters: Quantize.RequantizeParameters, toInt16: Bool, count: Int) {
        self.parameters = parameters
        self.toInt16 = toInt16
        self.count = count
    }

    func eval(_ args: KernelArguments) {
        if toInt16 { run(Int16.self, args) } else { run(Int8.self, args) }
    }

    @inline(__always)
    private func run<Output: FixedWidthInteger>(_: Output.Type, _ args: KernelArguments) {
        let input = args.input(0, as: Int16.self), output = args.output(0, as: Output.self)
        let p = parameters, multiplier = PreparedMultiplier(parameters.multiplier)
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, p, multiplier)) { c, range in
            let (input, output, p, multiplier) = c
            for i in range {
                let value = multiplier.apply(Int32(input[i]) &- p.inputZeroPoint) &+ p.outputZeroPoint
                output[i] = Output(truncatingIfNeeded: max(min(value, p.outputMax), p.outputMin))
            }
        }
    }
}

import TFLiteCore

/// DEPTHWISE_CONV_2D: each output channel `o` convolves input channel `o / multiplier` with its
/// own `kh × kw` filter: `out[b][y][x][o] = act(bias[o] + Σ_{ky,kx} in[..][o / m] · w[0][ky][kx][o])`.
///
/// Inputs: NHWC input, filter `[1, kh, kw, outputs]` (constant; outputs = channels × multiplier,
/// the multiplier derived from the shapes as TFLite does), optional bias. Types: FLOAT32; INT8
/// (per-channel symmetric weights, INT32 bias); UINT8 (per-tensor asymmetric). Vectorised over
/// 8 channels at a time when the multiplier is 1 (the MobileNet case).
package enum DepthwiseConv2D {
    package static func prepare(_ options: DepthwiseConv2DOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...3, outputs: 1)
        let input = try context.input(0), filter = try context.input(1), output = try context.output(0)
        let bias = context.optionalInput(2)
        guard input.rank == 4 else { throw .invalidShape("input must be 4-D NHWC, got \(input.shape)") }
        guard filter.rank == 4, filter.shape[0] == 1 else { throw .invalidShape("filter must be [1, kh, kw, channels], got \(filter.shape)") }
        let channels = input.shape[3], outputs = filter.shape[3]
        guard channels >= 1, outputs >= channels, outputs % channels == 0 else {
            throw .invalidShape("filter has \(outputs) channels, not a multiple of the input's \(channels)")
        }
        let multiplier = outputs / channels
        // The geometry as a convolution whose "input channels" are the output channels.
        let h = try WindowGeometry(padding: options.padding, inputSize: input.shape[1], filterSize: filter.shape[1],
                                   stride: options.strideHeight, dilation: options.dilationHeight)
        let w = try WindowGeometry(padding: options.padding, inputSize: input.shape[2], filterSize: filter.shape[2],
                                   stride: options.strideWidth, dilation: options.dilationWidth)
        let shape = DepthwiseShape(batches: input.shape[0], inputHeight: input.shape[1], inputWidth: input.shape[2], channels: channels,
                                   multiplier: multiplier, filterHeight: filter.shape[1], filterWidth: filter.shape[2],
                                   outputHeight: h.outputSize, outputWidth: w.outputSize,
                                   strideHeight: options.strideHeight, strideWidth: options.strideWidth,
                                   dilationHeight: options.dilationHeight, dilationWidth: options.dilationWidth,
                                   padTop: h.paddingBefore, padLeft: w.paddingBefore)
        try context.setOutputShape(0, [shape.batches, shape.outputHeight, shape.outputWidth, outputs])
        let taps = shape.filterHeight * shape.filterWidth
        switch (input.type, filter.type, output.type) {
        case (.float32, .float32, .float32):
            guard let weights = filter.constantValues(as: Float.self), weights.count >= filter.elementCount else {
                throw .notConstant("the filter must be constant")
            }
            let range = try options.activation.floatRange()
            let biasValues = try constantBiasFloat(bias, count: outputs)
            return FloatDepthwiseKernel(shape: shape, weights: AlignedBuffer(Array(weights.prefix(taps * outputs)) + [0]),
                                        bias: AlignedBuffer((0..<outputs).map { biasValues?[$0] ?? 0 } + [0]),
                                        minimum: range.min, maximum: range.max)
        case (.int8, .int8, .int8), (.uint8, .uint8, .uint8):
            let q = try ConvolutionQuantization(input: input, weights: filter, output: output, channels: outputs, channelDimension: 3,
                                                activation: try options.activation.kind(), floatScaleProduct: input.type == .uint8,
                                                weightZeroPointsApply: input.type == .uint8)
            let raw = try widenedConstant(filter, "the filter")
            var weights = [Int32](repeating: 0, count: taps * outputs + 1)
            for t in 0..<taps {
                for o in 0..<outputs {
                    weights[t * outputs + o] = raw[t * outputs + o] - (q.weightZeroPoints.count == 1 ? q.weightZeroPoints[0] : q.weightZeroPoints[o])
                }
            }
            let biasValues = try constantBias32(bias, count: outputs) ?? [Int32](repeating: 0, count: outputs)
            let requantization = (0..<outputs).map { q.requantization.count == 1 ? q.requantization[0] : q.requantization[$0] }
            let kernel = QuantizedDepthwiseParameters(
                weights: AlignedBuffer(weights.map(Float.init)), bias: AlignedBuffer(biasValues + [0]),
                requantizers: requantization.map(PreparedMultiplier.init),
                inputZeroPoint: q.inputZeroPoint, outputZeroPoint: q.outputZeroPoint, minimum: q.minimum, maximum: q.maximum)
            return QuantizedDepthwiseKernel(signed: input.type == .int8, shape: shape, parameters: kernel, threads: context.threadCount)
        case (.float32, .int8, .float32):
            return try prepareHybrid(options, shape: shape, filter: filter, bias: bias, output: output, threads: context.threadCount)
        default:
            throw .unsupportedType("DEPTHWISE_CONV_2D of \(input.type.schemaName) input, \(filter.type.schemaName) filter, \(output.type.schemaName) output")
        }
    }
}

/// The sizes of a depthwise convolution.
struct DepthwiseShape {
    let batches: Int, inputHeight: Int, inputWidth: Int, channels: Int, multiplier: Int
    let filterHeight: Int, filterWidth: Int, outputHeight: Int, outputWidth: Int
    let strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int
    let padTop: Int, padLeft: Int

    var outputChannels: Int { channels * multiplier }
    var outputRows: Int { batches * outputHeight }

    /// For horizontal tap `kx`: its input column offset (input column = output column ·
    /// stride + offset) and the output columns whose input column lies inside the row.
    func columns(tap kx: Int) -> (offset: Int, columns: Range<Int>) {
        let offset = kx * dilationWidth - padLeft
        let first = offset >= 0 ? 0 : (-offset + strideWidth - 1) / strideWidth
        // Integer division truncates toward zero: a negative `rest` means no column at all.
        let rest = inputWidth - 1 - offset
        let last = rest < 0 ? 0 : min(outputWidth, rest / strideWidth + 1)
        return (offset, first..<max(first, last))
    }
}

final class FloatDepthwiseKernel: Kernel {
    let shape: DepthwiseShape
    let weights: AlignedBuffer<Float>
    let bias: AlignedBuffer<Float>
    let minimum: Float, maximum: Float

    init(shape: DepthwiseShape, weights: AlignedBuffer<Float>, bias: AlignedBuffer<Float>, minimum: Float, maximum: Float) {
        self.shape = shape
        self.weights = weights
        self.bias = bias
        self.minimum = minimum
        self.maximum = maximum
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
        let s = shape
        let oc = s.outputChannels, m = s.multiplier, c = s.channels
        let w = weights.pointer, b = bias.pointer
        let lo = minimum, hi = maximum
        let vectorChannels = m == 1 ? oc / 8 * 8 : 0
        args.runner.forEachRange(count: s.outputRows) { rows in
            for row in rows {
                let batch = row / s.outputHeight, oy = row % s.outputHeight
                let iy0 = oy * s.strideHeight - s.padTop
                let outRow = output + row * s.outputWidth * oc
                // Start every output pixel at its bias, then add each tap's contribution across
                // the row: the weight vector stays in registers while the row streams past.
                for ox in 0..<s.outputWidth { (outRow + ox * oc).update(from: b, count: oc) }
                for ky in 0..<s.filterHeight {
                    let iy = iy0 + ky * s.dilationHeight
                    if iy < 0 || iy >= s.inputHeight { continue }
                    let inRow = input + (batch * s.inputHeight + iy) * s.inputWidth * c
                    for kx in 0..<s.filterWidth {
                        let (offset, columns) = s.columns(tap: kx)
                        if columns.isEmpty { continue }
                        let first = columns.lowerBound, last = columns.upperBound
                        let tap = w + (ky * s.filterWidth + kx) * oc
                        let step = s.strideWidth * c
                        var channel = 0
                        while channel < vectorChannels {
                            let f = UnsafeRawPointer(tap + channel).loadUnaligned(as: SIMD8<Float>.self)
                            var x = UnsafeRawPointer(inRow + (first * s.strideWidth + offset) * c + channel)
                            var o = UnsafeMutableRawPointer(outRow + first * oc + channel)
                            for _ in first..<last {
                                o.storeBytes(of: o.loadUnaligned(as: SIMD8<Float>.self) + x.loadUnaligned(as: SIMD8<Float>.self) * f,
                                             as: SIMD8<Float>.self)
                                x += step * 4
                                o += oc * 4
                            }
                            channel += 8
                        }
                        while channel < oc {
                            let f = tap[channel]
                            let ic = channel / m
                            for ox in first..<last {
                                outRow[ox * oc + channel] += inRow[(ox * s.strideWidth + offset) * c + ic] * f
                            }
                            channel += 1
                        }
                    }
                }
                for i in 0..<(s.outputWidth * oc) { outRow[i] = min(max(outRow[i], lo), hi) }
            }
        }
    }
}

/// Quantized depthwise parameters: weights with their zero points removed, held as floats for
/// the exact float accumulation (see `QuantizedDepthwiseKernel`).
struct QuantizedDepthwiseParameters {
    let weights: AlignedBuffer<Float>
    let bias: AlignedBuffer<Int32>
    let requantizers: [PreparedMultiplier]
    let inputZeroPoint: Int32, outputZeroPoint: Int32, minimum: Int32, maximum: Int32
}

/// Integer depthwise convolution computed exactly in float: each tap adds products of
/// magnitude ≤ 255², so 64 taps stay below 2^22 and are exact in float; every 64 taps (and at
/// the end) the float row is moved into the Int32 row that started at the bias.
final class QuantizedDepthwiseKernel: Kernel {
    let signed: Bool
    let shape: DepthwiseShape
    let p: QuantizedDepthwiseParameters
    let threads: Int

    init(signed: Bool, shape: DepthwiseShape, parameters: QuantizedDepthwiseParameters, threads: Int) {
        self.signed = signed
        self.shape = shape
        p = parameters
        self.threads = max(1, threads)
    }

    private var rowElements: Int { shape.outputWidth * shape.outputChannels + 8 }

    /// An Int32 and a Float accumulator row per thread.
    var scratchByteCount: Int { threads * rowElements * 8 }

    func eval(_ args: KernelArguments) {
        // Dispatch once to code specialized for the element type.
        if signed { run(args, Int8.self) } else { run(args, UInt8.self) }
    }

    @inline(__always)
    private func run<Element: FixedWidthInteger>(_ args: KernelArguments, _: Element.Type) {
        let input = args.input(0, as: Element.self), output = args.output(0, as: Element.self)
        let s = shape, p = self.p
        let oc = s.outputChannels, m = s.multiplier, c = s.channels
        let w = p.weights.pointer, zin = p.inputZeroPoint
        let vectorChannels = m == 1 ? oc / 8 * 8 : 0
        let zero = SIMD8<Int32>(repeating: zin)
        let count = s.outputWidth * oc, stride = rowElements
        let scratch = args.scratch.unsafelyUnwrapped
        args.runner.forEachChunk(count: s.outputRows) { chunk, rows in
            let acc = (scratch + chunk * stride * 8).assumingMemoryBound(to: Int32.self)
            let facc = (scratch + chunk * stride * 8 + stride * 4).assumingMemoryBound(to: Float.self)
            func flush() {
                var i = 0
                while i + 8 <= count {
                    let f = UnsafeRawPointer(facc + i).loadUnaligned(as: SIMD8<Float>.self)
                    let a = UnsafeMutableRawPointer(acc + i)
                    a.storeBytes(of: a.loadUnaligned(as: SIMD8<Int32>.self) &+ PackedQuantizedWeights.exactInteger(f), as: SIMD8<Int32>.self)
                    i += 8
                }
                while i < count { acc[i] = acc[i] &+ Int32(facc[i]); i += 1 }
                facc.update(repeating: 0, count: count)
            }
            p.requantizers.withUnsafeBufferPointer { requantizers in
            for row in rows {
                let batch = row / s.outputHeight, oy = row % s.outputHeight
                let iy0 = oy * s.strideHeight - s.padTop
                for ox in 0..<s.outputWidth { (acc + ox * oc).update(from: p.bias.pointer, count: oc) }
                facc.update(repeating: 0, count: count)
                var taps = 0
                for ky in 0..<s.filterHeight {
                    let iy = iy0 + ky * s.dilationHeight
                    if iy < 0 || iy >= s.inputHeight { continue }
                    let inRow = input + (batch * s.inputHeight + iy) * s.inputWidth * c
                    for kx in 0..<s.filterWidth {
                        let (offset, columns) = s.columns(tap: kx)
                        if columns.isEmpty { continue }
                        let first = columns.lowerBound, last = columns.upperBound
                        if taps == PackedQuantizedWeights.exactChunk { flush(); taps = 0 }
                        taps += 1
                        let tap = w + (ky * s.filterWidth + kx) * oc
                        let step = s.strideWidth * c * MemoryLayout<Element>.stride
                        var channel = 0
                        while channel < vectorChannels {
                            let f = UnsafeRawPointer(tap + channel).loadUnaligned(as: SIMD8<Float>.self)
                            var x = UnsafeRawPointer(inRow + (first * s.strideWidth + offset) * c + channel)
                            var o = UnsafeMutableRawPointer(facc + first * oc + channel)
                            for _ in first..<last {
                                let v: SIMD8<Int32> = Element.self == Int8.self
                                    ? SIMD8<Int32>(truncatingIfNeeded: x.loadUnaligned(as: SIMD8<Int8>.self))
                                    : SIMD8<Int32>(truncatingIfNeeded: x.loadUnaligned(as: SIMD8<UInt8>.self))
                                o.storeBytes(of: o.loadUnaligned(as: SIMD8<Float>.self) + SIMD8<Float>(v &- zero) * f, as: SIMD8<Float>.self)
                                x += step
                                o += oc * 4
                            }
                            channel += 8
                        }
                        while channel < oc {
                            let f = tap[channel]
                            let ic = channel / m
                            for ox in first..<last {
                                facc[ox * oc + channel] += Float(Int32(inRow[(ox * s.strideWidth + offset) * c + ic]) &- zin) * f
                            }
                            channel += 1
                        }
                    }
                }
                flush()
                let out = output + row * count
                for ox in 0..<s.outputWidth {
                    for channel in 0..<oc {
                        let i = ox * oc + channel
                        let v = min(max(requantizers[channel].apply(acc[i]) &+ p.outputZeroPoint, p.minimum), p.maximum)
                        out[i] = Element(truncatingIfNeeded: v)
                    }
                }
            }
            }
        }
    }
}

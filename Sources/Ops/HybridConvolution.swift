import TFLiteCore

// Dynamic-range ("hybrid") CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: FLOAT32 input and
// output, constant symmetric INT8 weights with float scales, FLOAT32 bias. Each eval quantizes
// the input to INT8 (per batch for the convolutions, per row for FULLY_CONNECTED), takes exact
// Int32 dot products with the weights, and scales them back to float — in the order LiteRT's
// reference kernels use, so results agree to the last bit:
//
// - CONV_2D with per-channel scales that differ: asymmetric input quantization,
//   `float(acc) · w_scale[c] · in_scale[b] (+ bias)`, clamp (conv.cc EvalHybridPerChannel).
// - CONV_2D with one scale (or all equal): symmetric input quantization,
//   `0 + float(acc) · (in_scale[b] · w_scale) + bias`, clamp (conv.cc EvalHybrid).
// - DEPTHWISE_CONV_2D: asymmetric, `float(acc) · (w_scale[c] · in_scale[b]) (+ bias)`, clamp.
// - FULLY_CONNECTED: symmetric, or asymmetric when the options say `asymmetric_quantize_inputs`
//   (the converter's default); `bias + float(acc) · (in_scale[r] · w_scale[c])`, then the
//   activation; an all-zero input gives the activated bias.
//
// `acc` is `Σ w · (q − offset)` in wrapping Int32 arithmetic; window taps outside the input add
// nothing. Weight zero points are ignored, as LiteRT ignores them.

// MARK: - Input quantization

/// Quantizes float vectors to INT8 the way LiteRT's `tensor_utils` does before a hybrid op.
///
/// On x86 LiteRT compiles its NEON quantizers through NEON_2_SSE (tensor_utils'
/// `NEON_OR_PORTABLE` picks `NeonSymmetricQuantizeFloats` / `NeonAsymmetricQuantizeFloats`),
/// not the portable ones its reference files show. What that changes, measured against the
/// ai-edge-litert 2.3.0 wheel:
/// - the asymmetric range `max − min` is subtracted in float before the double division;
/// - the asymmetric offset is added after rounding: `round(x · inverse) + offset`;
/// - the first `count & ~7` values (the vector part) round as pre-ARMv8 NEON does, by adding
///   ±0.5 in float and truncating — a value within half an ulp below a tie rounds up; the rest
///   round with `std::round`.
package enum HybridInputQuantizer {
    /// Symmetric: scale = max|x| / 127, `q = round(x · (127 / max|x|))` clamped to ±127. An
    /// all-zero (or empty) vector gives scale 1 and zeros. Returns the scale.
    @discardableResult
    package static func symmetric(_ values: UnsafePointer<Float>, count: Int, into quantized: UnsafeMutablePointer<Int8>) -> Float {
        guard count > 0 else { return 1 }
        let (low, high) = extremes(values, count: count)
        let range = larger(magnitude(low), magnitude(high))
        if range == 0 {
            quantized.update(repeating: 0, count: count)
            return 1
        }
        let inverse = 127 / range
        let vectorPart = count & ~7
        for i in 0..<vectorPart {
            quantized[i] = Int8(truncatingIfNeeded: min(127, max(-127, roundedLikeNeon(values[i] * inverse))))
        }
        for i in vectorPart..<count {
            let q = truncatedLikeX86((inverse * values[i]).rounded(.toNearestOrAwayFromZero))
            quantized[i] = Int8(truncatingIfNeeded: min(127, max(-127, q)))
        }
        return range / 127
    }

    /// Asymmetric over [min(x, 0), max(x, 0)] mapped to [−128, 127], the scale (from the range
    /// subtracted in float) and nudged zero point worked out in double as LiteRT does;
    /// `q = round(x · (1 / scale)) + offset` clamped. A constant zero vector gives scale 1,
    /// offset 0. Returns the scale and the offset.
    @discardableResult
    package static func asymmetric(_ values: UnsafePointer<Float>, count: Int,
                                   into quantized: UnsafeMutablePointer<Int8>) -> (scale: Float, offset: Int32) {
        guard count > 0 else { return (1, 0) }
        let (low, high) = extremes(values, count: count)
        let floatMin: Float = low < 0 ? low : 0
        let floatMax: Float = 0 < high ? high : 0
        if floatMin == floatMax {
            quantized.update(repeating: 0, count: count)
            return (1, 0)
        }
        let rmin = Double(floatMin), rmax = Double(floatMax)
        let qmin = -128.0, qmax = 127.0
        let scale = Double(floatMax - floatMin) / (qmax - qmin)
        let zeroPointFromMin = qmin - rmin / scale
        let zeroPointFromMax = qmax - rmax / scale
        let errorFromMin = abs(qmin) + abs(rmin / scale)
        let errorFromMax = abs(qmax) + abs(rmax / scale)
        let zeroPoint = errorFromMin < errorFromMax ? zeroPointFromMin : zeroPointFromMax
        let offset: Int32
        if zeroPoint <= qmin {
            offset = -128
        } else if zeroPoint >= qmax {
            offset = 127
        } else if zeroPoint.isNaN {
            offset = 0  // from an infinite input: x86 converts NaN to 0x80000000, whose low byte is 0
        } else {
            offset = Int32(zeroPoint.rounded(.toNearestOrAwayFromZero))
        }
        let floatScale = Float(scale)
        let inverse = floatScale == 0 ? 0 : Float(1.0 / Double(floatScale))
        let vectorPart = count & ~7
        for i in 0..<vectorPart {
            let q = roundedLikeNeon(values[i] * inverse) &+ offset
            quantized[i] = Int8(truncatingIfNeeded: min(127, max(-128, q)))
        }
        let floatOffset = Float(offset)
        for i in vectorPart..<count {
            let q = truncatedLikeX86(floatOffset + (inverse * values[i]).rounded(.toNearestOrAwayFromZero))
            quantized[i] = Int8(truncatingIfNeeded: min(127, max(-128, q)))
        }
        return (floatScale, offset)
    }

    /// The smallest and largest value (`std::minmax_element` for finite values).
    @inline(__always)
    private static func extremes(_ values: UnsafePointer<Float>, count: Int) -> (Float, Float) {
        var low = values[0], high = values[0]
        for i in 1..<max(count, 1) {
            let v = values[i]
            if v < low { low = v }
            if !(v < high) { high = v }
        }
        return (low, high)
    }

    @inline(__always) private static func magnitude(_ x: Float) -> Float { x < 0 ? -x : x }
    /// `std::max`: the first unless the second is larger.
    @inline(__always) private static func larger(_ a: Float, _ b: Float) -> Float { a < b ? b : a }

    /// LiteRT's `RoundToNearest` without ARMv8: add ±0.5 in float, convert truncating
    /// (saturating as NEON does: large values to Int32.max, NaN and small to Int32.min as x86).
    @inline(__always)
    static func roundedLikeNeon(_ y: Float) -> Int32 {
        let shifted = y + (y < 0 ? -0.5 : 0.5)
        return shifted >= 2147483648.0 ? .max : truncatedLikeX86(shifted)
    }

    /// `static_cast<int32_t>` as x86 does it: out-of-range values and NaN become Int32.min
    /// (C++ leaves them undefined; Swift would trap).
    @inline(__always)
    static func truncatedLikeX86(_ x: Float) -> Int32 {
        x >= -2147483648.0 && x < 2147483648.0 ? Int32(x) : .min
    }
}

/// `std::min(std::max(x, low), high)`: TFLite's `ActivationFunctionWithMinMax`.
@inline(__always)
private func clamped(_ x: Float, _ low: Float, _ high: Float) -> Float {
    let y = x < low ? low : x
    return high < y ? high : y
}

// MARK: - Preparation helpers

/// The constant INT8 weights and their scales, checked.
struct HybridWeights {
    let values: AlignedBuffer<Int8>
    /// Σ of each output channel's weights (for the asymmetric input offset).
    let sums: AlignedBuffer<Int32>
    let scales: AlignedBuffer<Float>

    /// - Parameters: the weight tensor, the number of output channels and the dimension they
    ///   run along (0: each channel a row of `elements / channels`; else the last dimension).
    init(_ tensor: TensorDescription, channels: Int, channelDimension: Int) throws(OpError) {
        guard tensor.type == .int8 else { throw .unsupportedType("hybrid weights of type \(tensor.type.schemaName); INT8 is supported") }
        let count = tensor.elementCount
        guard let raw = tensor.constantValues(as: Int8.self), raw.count >= count else { throw .notConstant("the weights must be constant") }
        guard let q = tensor.quantization, !q.scales.isEmpty else { throw .invalidQuantization("the INT8 weights have no scales") }
        if q.scales.count != 1 {
            guard q.scales.count == channels, q.quantizedDimension == channelDimension else {
                throw .invalidQuantization("\(q.scales.count) weight scales along dimension \(q.quantizedDimension); expected 1, or \(channels) along dimension \(channelDimension)")
            }
        }
        let buffer = AlignedBuffer<Int8>(count: count, repeating: 0)
        for i in 0..<count { buffer.pointer[i] = raw[i] }
        values = buffer
        var sums = [Int32](repeating: 0, count: channels)
        if channelDimension == 0 {
            let k = count / channels
            for c in 0..<channels {
                for i in 0..<k { sums[c] = sums[c] &+ Int32(raw[c * k + i]) }
            }
        } else {
            for i in 0..<count { sums[i % channels] = sums[i % channels] &+ Int32(raw[i]) }
        }
        self.sums = AlignedBuffer(sums)
        scales = AlignedBuffer(q.scales)
    }

    /// True when the scales differ per channel (LiteRT's `is_hybrid_per_channel`).
    var isPerChannel: Bool {
        (1..<scales.count).contains { scales.pointer[$0] != scales.pointer[0] }
    }
}

/// An optional constant FLOAT32 bias of `count` elements, copied.
private func hybridBias(_ tensor: TensorDescription?, count: Int) throws(OpError) -> AlignedBuffer<Float>? {
    guard let tensor else { return nil }
    guard tensor.type == .float32 else { throw .unsupportedType("bias of type \(tensor.type.schemaName); hybrid ops take FLOAT32") }
    guard tensor.elementCount == count else { throw .invalidShape("bias has \(tensor.elementCount) elements for \(count) channels") }
    guard let values = tensor.constantValues(as: Float.self), values.count >= count else { throw .notConstant("the bias must be constant") }
    return AlignedBuffer(Array(values.prefix(count)))
}

private func requireFloatOutput(_ output: TensorDescription) throws(OpError) {
    guard output.type == .float32 else { throw .unsupportedType("hybrid op with \(output.type.schemaName) output; FLOAT32 is supported") }
}

/// Scratch layout shared by the kernels: the quantized input, then a scale and an offset per
/// quantized vector, then per-thread space. Offsets are 64-byte aligned.
private struct HybridScratch {
    let scalesOffset: Int, offsetsOffset: Int, perThreadOffset: Int, perThreadBytes: Int, byteCount: Int

    init(quantizedCount: Int, vectors: Int, perThreadBytes: Int, threads: Int) {
        func aligned(_ n: Int) -> Int { (n + 63) / 64 * 64 }
        scalesOffset = aligned(quantizedCount)
        offsetsOffset = scalesOffset + aligned(vectors * 4)
        perThreadOffset = offsetsOffset + aligned(vectors * 4)
        self.perThreadBytes = aligned(perThreadBytes)
        byteCount = perThreadOffset + self.perThreadBytes * threads
    }

    /// Chunk `chunk`'s own part of `scratch`.
    func slice(_ chunk: Int, of scratch: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        scratch + perThreadOffset + chunk * perThreadBytes
    }

    /// Quantized input vectors: the INT8 values, a scale and an offset per vector.
    typealias Vectors = (quantized: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>, offsets: UnsafeMutablePointer<Int32>)

    /// Quantizes `vectors` consecutive vectors of `length` floats into `scratch` (in parallel):
    /// each one's INT8 values, its scale (times `foldedScale`, where LiteRT folds a per-tensor
    /// weight scale into it) and its offset (0 when symmetric). Returns the three arrays.
    func quantize(_ input: UnsafePointer<Float>, vectors: Int, length: Int, asymmetric: Bool, foldedScale: Float?,
                  scratch: UnsafeMutableRawPointer, runner: ParallelRunner)
        -> Vectors {
        let quantized = scratch.assumingMemoryBound(to: Int8.self)
        let scales = (scratch + scalesOffset).assumingMemoryBound(to: Float.self)
        let offsets = (scratch + offsetsOffset).assumingMemoryBound(to: Int32.self)
        let context = (input, length, asymmetric, foldedScale, (quantized, scales, offsets))
        runner.forEach(tasks: vectors, context: context) { c, v in
            let (input, length, asymmetric, foldedScale, (quantized, scales, offsets)) = c
            let start = v * length
            if asymmetric {
                (scales[v], offsets[v]) = HybridInputQuantizer.asymmetric(input + start, count: length, into: quantized + start)
            } else {
                scales[v] = HybridInputQuantizer.symmetric(input + start, count: length, into: quantized + start)
                offsets[v] = 0
            }
            if let foldedScale { scales[v] *= foldedScale }
        }
        return (quantized, scales, offsets)
    }
}

// MARK: - CONV_2D

extension Conv2D {
    /// The hybrid case of `prepare`: FLOAT32 input and output, INT8 filter.
    static func prepareHybrid(_ options: Conv2DOptions, geometry: ConvolutionShape, filter: TensorDescription, bias: TensorDescription?,
                              output: TensorDescription, threads: Int) throws(OpError) -> any Kernel {
        try requireFloatOutput(output)
        let weights = try HybridWeights(filter, channels: geometry.outputChannels, channelDimension: 0)
        let range = try options.activation.floatRange()
        return HybridConv2DKernel(geometry: geometry, weights: weights, perChannel: weights.isPerChannel,
                                  bias: try hybridBias(bias, count: geometry.outputChannels),
                                  minimum: range.min, maximum: range.max, threads: threads)
    }
}

/// Hybrid CONV_2D: each batch quantized (asymmetric when per-channel, else symmetric), each
/// output pixel's patch gathered into per-thread scratch (padding with the batch's offset, which
/// contributes nothing), then an Int32 dot product per output channel.
final class HybridConv2DKernel: Kernel {
    let geometry: ConvolutionShape
    let weights: HybridWeights
    let perChannel: Bool
    let bias: AlignedBuffer<Float>?
    let minimum: Float, maximum: Float
    let threads: Int
    private let layout: HybridScratch

    init(geometry: ConvolutionShape, weights: HybridWeights, perChannel: Bool, bias: AlignedBuffer<Float>?,
         minimum: Float, maximum: Float, threads: Int) {
        self.geometry = geometry
        self.weights = weights
        self.perChannel = perChannel
        self.bias = bias
        self.minimum = minimum
        self.maximum = maximum
        self.threads = max(1, threads)
        let g = geometry
        layout = HybridScratch(quantizedCount: g.batches * g.inputHeight * g.inputWidth * g.inputChannels, vectors: g.batches,
                               perThreadBytes: g.patchSize + gatherSlackBytes, threads: self.threads)
    }

    var scratchByteCount: Int { layout.byteCount }

    func eval(_ args: KernelArguments) {
        let g = geometry
        guard g.outputPixels > 0, g.outputChannels > 0 else { return }
        let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
        let scratch = args.scratch.unsafelyUnwrapped
        let perChannel = self.perChannel
        // Per-tensor filters: symmetric inputs, and LiteRT folds the filter's scale into the
        // batch's (`scaling_factors[b] *= scale`).
        let vectors = layout.quantize(
            input, vectors: g.batches, length: g.inputHeight * g.inputWidth * g.inputChannels, asymmetric: perChannel,
            foldedScale: perChannel ? nil : weights.scales.pointer[0], scratch: scratch, runner: args.runner)
        args.runner.forEachChunk(count: g.outputPixels, grain: 16, context: (self, vectors, output, scratch)) { c, chunk, pixels in
            let (kernel, vectors, output, scratch) = c
            kernel.convolve(pixels, vectors, output: output, patch: kernel.layout.slice(chunk, of: scratch).assumingMemoryBound(to: Int8.self))
        }
    }

    /// Output pixels `pixels` from the quantized input `vectors`, gathering into `patch`.
    private func convolve(_ pixels: Range<Int>, _ vectors: HybridScratch.Vectors, output: UnsafeMutablePointer<Float>,
                          patch: UnsafeMutablePointer<Int8>) {
        let (quantized, scales, offsets) = vectors
        let g = geometry, perChannel = self.perChannel
        let k = g.patchSize, n = g.outputChannels
        let w = weights.values.pointer, sums = weights.sums.pointer, channelScales = weights.scales.pointer
        let biasValues = bias?.pointer
        let lo = minimum, hi = maximum
        let pixelsPerBatch = g.outputHeight * g.outputWidth
        for pixel in pixels {
            let b = pixel / pixelsPerBatch
            let offset = offsets[b], batchScale = scales[b]
            g.gatherPatches(UnsafePointer(quantized), first: pixel, count: 1, into: patch, rowStride: 0, pad: Int8(truncatingIfNeeded: offset), convert: { $0 })
            let out = output + pixel * n
            for c in 0..<n {
                let acc = dot(w + c * k, UnsafePointer(patch), count: k) &- sums[c] &* offset
                var v: Float
                if perChannel {
                    v = Float(acc) * channelScales[c] * batchScale
                    if let biasValues { v += biasValues[c] }
                } else {
                    v = 0 + Float(acc) * batchScale
                    if let biasValues { v = v + biasValues[c] }
                }
                out[c] = clamped(v, lo, hi)
            }
        }
    }
}

/// `Σ a[i] · b[i]` in wrapping Int32 arithmetic.
@inline(__always)
private func dot(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, count: Int) -> Int32 {
    var sum: Int32 = 0
    for i in 0..<count { sum = sum &+ Int32(a[i]) &* Int32(b[i]) }
    return sum
}

// MARK: - DEPTHWISE_CONV_2D

extension DepthwiseConv2D {
    /// The hybrid case of `prepare`: FLOAT32 input and output, INT8 filter with a scale per
    /// output channel; the options' depth multiplier must agree with the shapes (LiteRT uses it).
    static func prepareHybrid(_ options: DepthwiseConv2DOptions, shape: DepthwiseShape, filter: TensorDescription, bias: TensorDescription?,
                              output: TensorDescription, threads: Int) throws(OpError) -> any Kernel {
        try requireFloatOutput(output)
        guard options.depthMultiplier == shape.multiplier else {
            throw .invalidOptions("depth_multiplier \(options.depthMultiplier) does not match the filter's \(shape.multiplier) outputs per channel")
        }
        let outputs = shape.outputChannels
        let weights = try HybridWeights(filter, channels: outputs, channelDimension: 3)
        guard weights.scales.count == outputs else {
            throw .invalidQuantization("hybrid DEPTHWISE_CONV_2D needs a weight scale per output channel, got \(weights.scales.count)")
        }
        let range = try options.activation.floatRange()
        return HybridDepthwiseKernel(shape: shape, weights: weights, bias: try hybridBias(bias, count: outputs),
                                     minimum: range.min, maximum: range.max, threads: threads)
    }
}

/// Hybrid DEPTHWISE_CONV_2D: each batch quantized asymmetrically, then per output row an Int32
/// accumulator row (per-thread scratch) collects `w · (q − offset)` tap by tap.
final class HybridDepthwiseKernel: Kernel {
    let shape: DepthwiseShape
    let weights: HybridWeights
    let bias: AlignedBuffer<Float>?
    let minimum: Float, maximum: Float
    let threads: Int
    private let layout: HybridScratch

    init(shape: DepthwiseShape, weights: HybridWeights, bias: AlignedBuffer<Float>?, minimum: Float, maximum: Float, threads: Int) {
        self.shape = shape
        self.weights = weights
        self.bias = bias
        self.minimum = minimum
        self.maximum = maximum
        self.threads = max(1, threads)
        layout = HybridScratch(quantizedCount: shape.batches * shape.inputHeight * shape.inputWidth * shape.channels, vectors: shape.batches,
                               perThreadBytes: shape.outputWidth * shape.outputChannels * 4, threads: self.threads)
    }

    var scratchByteCount: Int { layout.byteCount }

    func eval(_ args: KernelArguments) {
        let s = shape
        guard s.outputRows > 0, s.outputWidth > 0 else { return }
        let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
        let scratch = args.scratch.unsafelyUnwrapped
        let batchSize = s.inputHeight * s.inputWidth * s.channels
        let vectors = layout.quantize(input, vectors: s.batches, length: batchSize, asymmetric: true, foldedScale: nil,
                                      scratch: scratch, runner: args.runner)
        args.runner.forEachChunk(count: s.outputRows, context: (self, vectors, output, scratch)) { c, chunk, rows in
            let (kernel, vectors, output, scratch) = c
            kernel.convolve(rows, vectors, output: output, acc: kernel.layout.slice(chunk, of: scratch).assumingMemoryBound(to: Int32.self))
        }
    }

    /// Output rows `rows` from the quantized input `vectors`, summing in `acc`.
    private func convolve(_ rows: Range<Int>, _ vectors: HybridScratch.Vectors, output: UnsafeMutablePointer<Float>,
                          acc: UnsafeMutablePointer<Int32>) {
        let (quantized, scales, offsets) = vectors
        let s = shape
        let oc = s.outputChannels, m = s.multiplier, c = s.channels
        let w = weights.values.pointer, channelScales = weights.scales.pointer
        let biasValues = bias?.pointer
        let lo = minimum, hi = maximum
        let rowCount = s.outputWidth * oc
        for row in rows {
            let batch = row / s.outputHeight, oy = row % s.outputHeight
            let offset = offsets[batch], batchScale = scales[batch]
            acc.update(repeating: 0, count: rowCount)
            for ky in 0..<s.filterHeight {
                let iy = oy * s.strideHeight - s.padTop + ky * s.dilationHeight
                if iy < 0 || iy >= s.inputHeight { continue }
                let inRow = quantized + (batch * s.inputHeight + iy) * s.inputWidth * c
                for kx in 0..<s.filterWidth {
                    let (columnOffset, columns) = s.columns(tap: kx)
                    let tap = w + (ky * s.filterWidth + kx) * oc
                    for ox in columns {
                        let x = inRow + (ox * s.strideWidth + columnOffset) * c
                        let a = acc + ox * oc
                        if m == 1 {
                            for o in 0..<oc { a[o] = a[o] &+ Int32(tap[o]) &* (Int32(x[o]) &- offset) }
                        } else {
                            for o in 0..<oc { a[o] = a[o] &+ Int32(tap[o]) &* (Int32(x[o / m]) &- offset) }
                        }
                    }
                }
            }
            let out = output + row * rowCount
            for ox in 0..<s.outputWidth {
                for o in 0..<oc {
                    var v = Float(acc[ox * oc + o])
                    v *= channelScales[o] * batchScale
                    if let biasValues { v += biasValues[o] }
                    out[ox * oc + o] = clamped(v, lo, hi)
                }
            }
        }
    }
}

// MARK: - FULLY_CONNECTED

extension FullyConnected {
    /// The hybrid case of `prepare`: FLOAT32 input and output, INT8 weights `[units, depth]`
    /// with one scale or a scale per unit.
    static func prepareHybrid(_ options: FullyConnectedOptions, rows: Int, weights tensor: TensorDescription, bias: TensorDescription?,
                              output: TensorDescription, threads: Int) throws(OpError) -> any Kernel {
        try requireFloatOutput(output)
        let units = tensor.shape[0]
        let weights = try HybridWeights(tensor, channels: units, channelDimension: 0)
        let (minimum, maximum): (Float, Float) = switch try options.activation.kind() {
        case .none: (-.infinity, .infinity)
        case .relu: (0, .infinity)
        case .relu6: (0, 6)
        case .reluN1To1: (-1, 1)
        }
        return HybridFullyConnectedKernel(rows: rows, units: units, depth: tensor.shape[1], weights: weights,
                                          asymmetric: options.asymmetricQuantizeInputs, bias: try hybridBias(bias, count: units),
                                          minimum: minimum, maximum: maximum, threads: threads)
    }
}

/// Hybrid FULLY_CONNECTED: each row quantized (symmetric, or asymmetric as the options say),
/// then an Int32 dot product per unit.
final class HybridFullyConnectedKernel: Kernel {
    let rows: Int, units: Int, depth: Int
    let weights: HybridWeights
    let asymmetric: Bool
    let bias: AlignedBuffer<Float>?
    let minimum: Float, maximum: Float
    let threads: Int
    private let layout: HybridScratch

    init(rows: Int, units: Int, depth: Int, weights: HybridWeights, asymmetric: Bool, bias: AlignedBuffer<Float>?,
         minimum: Float, maximum: Float, threads: Int) {
        self.rows = rows
        self.units = units
        self.depth = depth
        self.weights = weights
        self.asymmetric = asymmetric
        self.bias = bias
        self.minimum = minimum
        self.maximum = maximum
        self.threads = max(1, threads)
        layout = HybridScratch(quantizedCount: rows * depth, vectors: rows, perThreadBytes: 0, threads: 1)
    }

    var scratchByteCount: Int { layout.byteCount }

    func eval(_ args: KernelArguments) {
        guard rows > 0 else { return }
        let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
        let k = depth, n = units
        let biasValues = bias?.pointer
        let lo = minimum, hi = maximum
        // LiteRT skips the multiply for an all-zero input: the outputs are the activated bias.
        var allZero = true
        for i in 0..<(rows * k) where input[i] != 0 { allZero = false; break }
        if allZero {
            for r in 0..<rows {
                for c in 0..<n { output[r * n + c] = clamped(biasValues?[c] ?? 0, lo, hi) }
            }
            return
        }
        let scratch = args.scratch.unsafelyUnwrapped
        // Per-tensor weights: LiteRT folds the weight scale into the row's.
        let perChannel = weights.scales.count > 1
        let vectors = layout.quantize(
            input, vectors: rows, length: k, asymmetric: asymmetric,
            foldedScale: perChannel ? nil : weights.scales.pointer[0], scratch: scratch, runner: args.runner)
        args.runner.forEachRange(count: rows * n, grain: 64, context: (self, vectors, output)) { c, range in
            c.0.multiply(range, c.1, output: c.2)
        }
    }

    /// Outputs `range` (row-major over rows × units) from the quantized input `vectors`.
    private func multiply(_ range: Range<Int>, _ vectors: HybridScratch.Vectors, output: UnsafeMutablePointer<Float>) {
        let (quantized, scales, offsets) = vectors
        let k = depth, n = units
        let perChannel = weights.scales.count > 1
        let biasValues = bias?.pointer
        let lo = minimum, hi = maximum
        let w = weights.values.pointer, sums = weights.sums.pointer, channelScales = weights.scales.pointer
        for index in range {
            let r = index / n, c = index % n
            let acc = dot(w + c * k, UnsafePointer(quantized + r * k), count: k) &- sums[c] &* offsets[r]
            let scale = perChannel ? scales[r] * channelScales[c] : scales[r]
            let v = (biasValues?[c] ?? 0) + Float(acc) * scale
            output[index] = clamped(v, lo, hi)
        }
    }
}

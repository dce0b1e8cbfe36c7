import Microkernels
import MicrokernelsAVX2
import MicrokernelsAVX512
import TFLiteCore

/// DEPTHWISE_CONV_2D: each output channel `o` convolves input channel `o / multiplier` with its
/// own `kh × kw` filter: `out[b][y][x][o] = act(bias[o] + Σ_{ky,kx} in[..][o / m] · w[0][ky][kx][o])`.
///
/// Inputs: NHWC input, filter `[1, kh, kw, outputs]` (constant; outputs = channels × multiplier,
/// the multiplier derived from the shapes as TFLite does), optional bias. Types: FLOAT32; INT8
/// (per-channel symmetric weights, INT32 bias); UINT8 (per-tensor asymmetric). Vectorised over
/// 16 or 8 channels at a time (see `FloatDepthwiseKernel`).
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
                                        minimum: range.min, maximum: range.max, threads: context.threadCount, isa: context.kernelISA)
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
            // The biases padded to whole vectors of 16 (a last vector of fewer channels loads all 16).
            let padding = [Int32](repeating: 0, count: (outputs + 15) / 16 * 16 - outputs + 16)
            let requantizationBuffers = RequantizationBuffers(requantization, paddedTo: outputs)
            #if arch(x86_64)
            if let bytes = ByteDepthwiseKernel(shape: shape, weights: weights, bias: biasValues, requantization: requantizationBuffers,
                                               signed: input.type == .int8, inputZeroPoint: q.inputZeroPoint, outputZeroPoint: q.outputZeroPoint,
                                               minimum: q.minimum, maximum: q.maximum, threads: context.threadCount, isa: context.kernelISA) {
                return bytes
            }
            #endif
            let kernel = QuantizedDepthwiseParameters(
                weights: AlignedBuffer(weights.map(Float.init)), bias: AlignedBuffer(biasValues + padding),
                floatBias: biasValues.allSatisfy { $0.magnitude < 1 << 23 } ? AlignedBuffer((biasValues + padding).map(Float.init)) : nil,
                requantization: requantizationBuffers,
                inputZeroPoint: q.inputZeroPoint, outputZeroPoint: q.outputZeroPoint, minimum: q.minimum, maximum: q.maximum)
            return QuantizedDepthwiseKernel(signed: input.type == .int8, shape: shape, parameters: kernel, threads: context.threadCount,
                                            isa: context.kernelISA)
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

extension DepthwiseShape {
    var rowShape: DepthwiseRowShape {
        DepthwiseRowShape(channels: outputChannels, inputWidth: inputWidth, outputWidth: outputWidth, filterWidth: filterWidth,
                          strideWidth: strideWidth, dilationWidth: dilationWidth, padLeft: padLeft)
    }

    /// Floats in one input row expanded to output channels (each input channel repeated
    /// `multiplier` times), plus a vector of slack.
    var expandedRowElements: Int { saturatingSum(saturatingProduct(inputWidth, outputChannels), 16) }

    /// Floats of one input row in blocks of 16 output channels: a block's columns 16 apart,
    /// `blockElements` from one block to the next; plus a vector of slack.
    var blockedRowElements: Int { saturatingSum(saturatingProduct(blockElements, (outputChannels + 15) / 16), 16) }
    var blockElements: Int { saturatingProduct(inputWidth, 16) }

    /// Floats of one row slot of the kernels' scratch: an expanded row or a blocked one.
    var rowSlotElements: Int { max(expandedRowElements, blockedRowElements) }

    /// Bytes of the per-thread tables: row pointers, filter-row pointers, and which input row
    /// each expanded-row slot holds.
    var tablesBytes: Int { (filterHeight * 24 + 63) / 64 * 64 }

    /// Bytes of a thread's scratch slice: the row and filter pointer tables, `rows` row slots
    /// (`rowSlotElements`), then `extra` bytes; 64-byte aligned parts.
    func sliceBytes(expandedRows rows: Int, extra: Int) -> Int {
        let tables = tablesBytes
        return saturatingSum(tables, saturatingProduct(rows, rowSlotElements, 4), extra, 64)
    }

    /// Points the tables at the input rows of output row `row` that lie inside the input, with
    /// their filter rows; `rowFor(iy, slot)` gives the float row for input row `iy`.
    @inline(__always)
    func collectRows(_ row: Int, tables: UnsafeMutableRawPointer, filters: UnsafePointer<Float>,
                     rowFor: (_ iy: Int, _ slot: Int) -> UnsafePointer<Float>) -> DepthwiseRowInputs {
        let rows = tables.assumingMemoryBound(to: UnsafePointer<Float>.self)
        let filterRows = (tables + filterHeight * 8).assumingMemoryBound(to: UnsafePointer<Float>.self)
        let oy = row % outputHeight
        var count = 0
        for ky in 0..<filterHeight {
            let iy = oy * strideHeight - padTop + ky * dilationHeight
            if iy < 0 || iy >= inputHeight { continue }
            rows[count] = rowFor(iy, count)
            filterRows[count] = filters + ky * filterWidth * outputChannels
            count += 1
        }
        return DepthwiseRowInputs(rows: UnsafePointer(rows), filters: UnsafePointer(filterRows), count: count)
    }

    /// `expandRow` in blocks of 16 output channels (`blockedRowElements`); a last block's
    /// lanes past the channels are zeros.
    func expandBlockedRow<Element>(_ input: UnsafePointer<Element>, batch: Int, iy: Int, into to: UnsafeMutablePointer<Float>,
                                   convert: (Element) -> Float) {
        let source = input + (batch * inputHeight + iy) * inputWidth * channels
        let padded = (outputChannels + 15) / 16 * 16
        for x in 0..<inputWidth {
            for o in 0..<padded {
                to[o / 16 * blockElements + x * 16 + o % 16] = o < outputChannels ? convert(source[x * channels + o / multiplier]) : 0
            }
        }
    }

    /// Writes input row `iy` of `batch` into `to` as floats per output channel, `convert`ing each
    /// value (the input channel of output channel `o` is `o / multiplier`).
    @inline(__always)
    func expandRow<Element>(_ input: UnsafePointer<Element>, batch: Int, iy: Int, into to: UnsafeMutablePointer<Float>,
                            convert: (Element) -> Float) {
        let source = input + (batch * inputHeight + iy) * inputWidth * channels
        if multiplier == 1 {
            for i in 0..<(inputWidth * channels) { to[i] = convert(source[i]) }
        } else {
            var o = 0
            for i in 0..<(inputWidth * channels) {
                let value = convert(source[i])
                for _ in 0..<multiplier { to[o] = value; o += 1 }
            }
        }
    }
}

/// Float depthwise convolution, one output row per step: the taps of each pixel accumulate in
/// registers, 16 (AVX2, AVX-512) or 8 channels at a time. Rows come straight from the input
/// when the multiplier is 1, else expanded into scratch.
final class FloatDepthwiseKernel: HardSwishFusing {
    let shape: DepthwiseShape
    let weights: AlignedBuffer<Float>
    let bias: AlignedBuffer<Float>
    let minimum: Float, maximum: Float
    let threads: Int
    let isa: KernelISA
    /// HARD_SWISH applied to each stored row (`fuseHardSwish`).
    private(set) var hardSwish = false

    func fuseHardSwish() { hardSwish = true }

    init(shape: DepthwiseShape, weights: AlignedBuffer<Float>, bias: AlignedBuffer<Float>, minimum: Float, maximum: Float, threads: Int,
         isa: KernelISA = .current) {
        self.shape = shape
        self.weights = weights
        self.bias = bias
        self.minimum = minimum
        self.maximum = maximum
        self.threads = max(1, threads)
        self.isa = isa
    }

    /// Bytes of one thread's scratch.
    var sliceBytes: Int {
        if padsRows { return saturatingSum(shape.tablesBytes, 64, saturatingProduct(shape.filterHeight, paddedSlotElements, 4), 64) }
        return shape.sliceBytes(expandedRows: shape.multiplier == 1 && !copiesBlockedRows ? 0 : shape.filterHeight, extra: 0)
    }

    /// Whether each input row is copied once into a slot in blocks of 16 channels with its
    /// padding columns as zeros (`runPadded`): rows of at most 16 output pixels under a 3×3 or
    /// 5×5 filter, where the pixels whose window leaves the row (two to four of 7 or 14) had
    /// each run one latency-bound chain of taps (half a 7×7 layer's time under a 5×5 filter).
    /// Every pixel then takes the inside pixels' kernel, four at a time. Isolated, one thread:
    /// 7×7×960 under 5×5 0.52 of the time, 14×14×672 → 7×7 at stride 2 0.79, 7×7×576 under
    /// 3×3 0.75, 14×14×672 0.89 (14×14×384: 1.07; in MobileNetV2 its four layers lose
    /// 4 µs, the 576-channel ones gain 7).
    var padsRows: Bool { takesBlockedRows && shape.outputWidth <= 16 && shape.strideWidth <= 2 && !rowsAreBlocked }

    /// Columns of a padded slot: the windows of the output pixels rounded up to a multiple of
    /// four, slot column j holding input column j − padLeft.
    var paddedWidth: Int { ((shape.outputWidth + 3) / 4 * 4 - 1) * shape.strideWidth + shape.filterWidth }
    var paddedSlotElements: Int { saturatingProduct(paddedWidth, 16, (shape.outputChannels + 15) / 16) }

    /// Whether the rows are copied in blocks of 16 channels for the AVX-512 kernel
    /// (`ChannelBlocked`): 3×3 filters at stride 2 (dilation and multiplier 1), whose passes
    /// over a pixel-major row need more address registers than x86 has (isolated on AMD Zen 5,
    /// 112×112×96: 0.251 ms, 0.191 with the copies). Each output row copies its three input
    /// rows; 5×5 filters, five rows a row, lose more to the copies than they gain.
    /// Rows of exactly 16 channels are blocked rows as they are (one block: `rowsAreBlocked`).
    var copiesBlockedRows: Bool { takesBlockedRows && shape.strideWidth == 2 && shape.filterWidth == 3 && !rowsAreBlocked }

    /// Whether the input's own rows are taken as blocked rows: 16 channels (one block, its
    /// columns 16 apart) at stride 2 (MobileNetV3-small's first depthwise: 0.025 → 0.014 ms
    /// isolated; at stride 1, V3-large's 112×112×16 measured slower than pixel-major rows).
    var rowsAreBlocked: Bool { takesBlockedRows && shape.channels == 16 && shape.strideWidth == 2 }

    /// Whether `runRow` can take rows in blocks of 16 channels (`rowsBlocked`): AVX-512, 3×3
    /// or 5×5, dilation and multiplier 1, every channel at once.
    var takesBlockedRows: Bool {
        let s = shape
        return isa >= .avx512 && s.dilationWidth == 1 && s.multiplier == 1 && (s.filterWidth == 3 || s.filterWidth == 5) && !splitsChannels
    }
    var scratchByteCount: Int { saturatingProduct(threads, sliceBytes) }

    /// Whether the threads split the channels (16 at a time) rather than the rows: fewer output
    /// rows than two per thread, many channels. A 7×7 image splits its rows (3 and 4), as the
    /// 1×1 convolutions around it split their pixels (`forEachTileBlock`), so each thread reads
    /// the pixels it wrote: with channels split here and output channels there, every thread
    /// read half its input from the other's cache.
    private var splitsChannels: Bool {
        threads > 1 && shape.multiplier == 1 && shape.outputRows < 2 * threads && shape.outputChannels >= 32 * threads
    }

    func eval(_ args: KernelArguments) {
        let context = (self, args.input(0, as: Float.self), args.output(0, as: Float.self), args.scratch.unsafelyUnwrapped)
        if splitsChannels {
            args.runner.forEachChunk(count: (shape.outputChannels + 15) / 16, context: context) { c, chunk, blocks in
                let channels = blocks.lowerBound * 16..<min(blocks.upperBound * 16, c.0.shape.outputChannels)
                c.0.run(0..<c.0.shape.outputRows, channels: channels, input: c.1, output: c.2, slice: c.3 + chunk * c.0.sliceBytes)
            }
            return
        }
        if padsRows {
            for thread in 0..<min(threads, args.runner.threadCount) {
                let keys = (args.scratch.unsafelyUnwrapped + thread * sliceBytes + shape.tablesBytes).assumingMemoryBound(to: Int.self)
                for slot in 0..<shape.filterHeight { keys[slot] = .min }
            }
            args.runner.forEachChunk(count: shape.outputRows, context: context) { c, chunk, rows in
                c.0.runPadded(rows, input: c.1, output: c.2, slice: c.3 + chunk * c.0.sliceBytes)
            }
            return
        }
        args.runner.forEachChunk(count: shape.outputRows, context: context) { c, chunk, rows in
            c.0.run(rows, channels: 0..<c.0.shape.outputChannels, input: c.1, output: c.2, slice: c.3 + chunk * c.0.sliceBytes)
        }
    }

    /// Output rows `rows` from padded slots (`padsRows`): input row iy lives in slot
    /// iy mod filterHeight (an output row's input rows are consecutive), copied when a row
    /// first needs it; a slot is zeroed when the invoke first uses it, so its padding columns
    /// stay zero. `slice`: the tables, the slots' keys (the input row each holds, batch
    /// included), the slots.
    private func runPadded(_ rows: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, slice: UnsafeMutableRawPointer) {
        #if arch(x86_64)
        let s = shape, width = paddedWidth, slotElements = paddedSlotElements
        let keys = (slice + s.tablesBytes).assumingMemoryBound(to: Int.self)
        let slots = (slice + s.tablesBytes + 64).assumingMemoryBound(to: Float.self)
        let copied = min(s.inputWidth, width - s.padLeft)
        let rowShape = DepthwiseRowShape(channels: s.outputChannels, inputWidth: width, outputWidth: s.outputWidth, filterWidth: s.filterWidth,
                                         strideWidth: s.strideWidth, dilationWidth: 1, padLeft: 0)
        for row in rows {
            let batch = row / s.outputHeight
            let inputs = s.collectRows(row, tables: slice, filters: UnsafePointer(weights.pointer)) { iy, _ in
                let index = iy % s.filterHeight, key = batch * s.inputHeight + iy, slot = slots + index * slotElements
                if keys[index] != key {
                    if keys[index] == .min { slot.initialize(repeating: 0, count: slotElements) }
                    keys[index] = key
                    MicrokernelsAVX512.InstructionSetKernels.blockedFloats(input + key * s.inputWidth * s.channels, width: copied, channels: s.channels,
                                                                          into: slot + s.padLeft * 16, blockStride: width * 16)
                }
                return UnsafePointer(slot)
            }
            MicrokernelsAVX512.InstructionSetKernels.depthwiseBlockedFloatRow(rowShape, inputs, blockStride: width * 16, bias: UnsafePointer(bias.pointer),
                                                                            out: output + row * s.outputWidth * s.outputChannels,
                                                                            minimum: minimum, maximum: maximum, hardSwish: hardSwish)
        }
        #endif
    }

    /// `channels` of output rows `rows`, with `slice` as this thread's scratch.
    private func run(_ rows: Range<Int>, channels: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                     slice: UnsafeMutableRawPointer) {
        let s = shape
        let rowStride = s.rowSlotElements
        let expanded = (slice + s.tablesBytes).assumingMemoryBound(to: Float.self)
        for row in rows {
            let batch = row / s.outputHeight
            runRow(row, channels: channels, into: output + row * s.outputWidth * s.outputChannels, slice: slice) { iy, slot in
                if s.multiplier == 1 { return input + (batch * s.inputHeight + iy) * s.inputWidth * s.channels }
                let to = expanded + slot * rowStride
                s.expandRow(input, batch: batch, iy: iy, into: to, convert: { $0 })
                return UnsafePointer(to)
            }
        }
    }

    /// Output row `row` (batch · output height + y), `channels` of it (all, or a range starting
    /// at a multiple of 16), into `rowOutput` (where the row's first channel goes), input row
    /// `iy` of its batch read from `rowFor(iy, slot)` (`slot`: which of the row's input rows it
    /// is, from 0); `slice` is the thread's scratch. `rowsBlocked`: the rows `rowFor` gives are
    /// in blocks of 16 channels (`blockedRowElements`; only where `takesBlockedRows`).
    @inline(__always)
    func runRow(_ row: Int, channels: Range<Int>, into rowOutput: UnsafeMutablePointer<Float>, slice: UnsafeMutableRawPointer,
                rowsBlocked: Bool = false, rowFor: (_ iy: Int, _ slot: Int) -> UnsafePointer<Float>) {
        let s = shape, first = channels.lowerBound
        var rowShape = s.rowShape
        rowShape.channels = channels.count
        let b = UnsafePointer(bias.pointer) + first
        let lo = minimum, hi = maximum
        let out = rowOutput + first
        #if arch(x86_64)
        if rowsBlocked || rowsAreBlocked || copiesBlockedRows {
            // `channels` is every channel here (`takesBlockedRows` excludes split channels).
            let to = (slice + s.tablesBytes).assumingMemoryBound(to: Float.self)
            let rowElements = s.rowSlotElements
            let inputs = s.collectRows(row, tables: slice, filters: UnsafePointer(weights.pointer)) { iy, slot in
                if rowsBlocked || rowsAreBlocked { return rowFor(iy, slot) }
                let rowSlot = to + slot * rowElements
                MicrokernelsAVX512.InstructionSetKernels.blockedFloats(rowFor(iy, slot), width: s.inputWidth, channels: s.channels, into: rowSlot,
                                                                      blockStride: s.blockElements)
                return UnsafePointer(rowSlot)
            }
            MicrokernelsAVX512.InstructionSetKernels.depthwiseBlockedFloatRow(rowShape, inputs, blockStride: s.blockElements, bias: b, out: out,
                                                                            minimum: lo, maximum: hi, hardSwish: hardSwish)
            return
        }
        #endif
        let inputs = s.collectRows(row, tables: slice, filters: UnsafePointer(weights.pointer) + first) { iy, slot in rowFor(iy, slot) + first }
        switch isa {
        case .avx512, .avx512vnni:
            MicrokernelsAVX512.InstructionSetKernels.depthwiseFloatRow(rowShape, inputs, bias: b, out: out, minimum: lo, maximum: hi, hardSwish: hardSwish)
        case .avx2:
            MicrokernelsAVX2.InstructionSetKernels.depthwiseFloatRow(rowShape, inputs, bias: b, out: out, minimum: lo, maximum: hi, hardSwish: hardSwish)
        case .baseline:
            depthwiseFloatRow(SIMD8<Float>.self, rowShape, inputs, bias: b, out: out, minimum: lo, maximum: hi, fused: KernelISA.baselineFuses)
            if hardSwish { hardSwishRow(out, rowShape) }
        }
    }
}

/// Quantized depthwise parameters: weights with their zero points removed, held as floats for
/// the exact float accumulation (see `QuantizedDepthwiseKernel`).
struct QuantizedDepthwiseParameters {
    let weights: AlignedBuffer<Float>
    let bias: AlignedBuffer<Int32>
    /// The bias as floats where every value is below 2^23 in magnitude (see
    /// `depthwiseRequantizedRows16`).
    let floatBias: AlignedBuffer<Float>?
    let requantization: RequantizationBuffers
    let inputZeroPoint: Int32, outputZeroPoint: Int32, minimum: Int32, maximum: Int32
}

/// Integer depthwise convolution computed exactly: each output row's input rows are converted
/// once to zero-point-free floats; every product then has magnitude ≤ 255², so up to 64 taps
/// sum exactly in float registers. At AVX-512 (`blocked`) the rows are converted in blocks of
/// 16 channels and each pixel's sums are requantized in registers and stored as bytes; other
/// levels add them to Int32 accumulators (which start at the bias) and requantize the row
/// after. Filters wider than 64 columns (no real model has them) take a plain scalar path.
final class QuantizedDepthwiseKernel: Kernel {
    let signed: Bool
    let shape: DepthwiseShape
    let p: QuantizedDepthwiseParameters
    let threads: Int
    let isa: KernelISA

    init(signed: Bool, shape: DepthwiseShape, parameters: QuantizedDepthwiseParameters, threads: Int, isa: KernelISA = .current) {
        self.signed = signed
        self.shape = shape
        p = parameters
        self.threads = max(1, threads)
        self.isa = isa
    }

    /// Int32 accumulators of one output row, plus a vector of slack for the requantizer.
    private var accumulatorBytes: Int { saturatingProduct(saturatingSum(saturatingProduct(shape.outputWidth, shape.outputChannels), 16), 4) }
    private var sliceBytes: Int { shape.sliceBytes(expandedRows: shape.filterHeight, extra: accumulatorBytes) }

    /// Rows per call so that a call sums at most `exactProductChunk` taps per pixel (0: the
    /// filter is wider than that).
    private var rowsPerCall: Int { shape.filterWidth <= exactProductChunk ? exactProductChunk / shape.filterWidth : 0 }

    /// Whether every row takes the AVX-512 kernel that sums and requantizes in registers, its
    /// input rows converted in blocks of 16 channels (`ChannelBlocked`).
    private var blocked: Bool {
        #if arch(x86_64)
        return isa >= .avx512 && rowsPerCall > 0 && shape.filterHeight <= rowsPerCall
        #else
        return false
        #endif
    }
    var scratchByteCount: Int { saturatingProduct(threads, sliceBytes) }

    func eval(_ args: KernelArguments) {
        // Dispatch once to code specialized for the element type.
        if signed { run(args, Int8.self) } else { run(args, UInt8.self) }
    }

    @inline(__always)
    private func run<Element: FixedWidthInteger>(_ args: KernelArguments, _: Element.Type) {
        let context = (self, args.input(0, as: Element.self), args.output(0, as: Element.self), args.scratch.unsafelyUnwrapped)
        // Each thread's converted rows are kept across the ranges it runs in this invoke (and
        // only this one: the input changes).
        for thread in 0..<min(threads, args.runner.threadCount) {
            let keys = rowKeys(context.3 + thread * sliceBytes)
            for j in 0..<shape.filterHeight { keys[j] = -1 }
        }
        args.runner.forEachChunk(count: shape.outputRows, context: context) { c, chunk, rows in
            c.0.run(rows, input: c.1, output: c.2, slice: c.3 + chunk * c.0.sliceBytes)
        }
    }

    /// Which input row each expanded-row slot of a thread's `slice` holds (−1: none), after
    /// the row and filter pointer tables.
    private func rowKeys(_ slice: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Int> {
        (slice + shape.filterHeight * 16).assumingMemoryBound(to: Int.self)
    }

    /// Output rows `rows`, with `slice` as this thread's scratch.
    private func run<Element: FixedWidthInteger>(_ rows: Range<Int>, input: UnsafePointer<Element>, output: UnsafeMutablePointer<Element>,
                                                 slice: UnsafeMutableRawPointer) {
        let s = shape, p = self.p, isa = self.isa, rowShape = s.rowShape
        let oc = s.outputChannels, zin = p.inputZeroPoint
        let w = UnsafePointer(p.weights.pointer)
        let count = s.outputWidth * oc
        let tablesBytes = s.tablesBytes
        let rowStride = s.rowSlotElements
        let requantization = p.requantization.vectors
        let rowsPerCall = self.rowsPerCall, blocked = self.blocked
        let expanded = (slice + tablesBytes).assumingMemoryBound(to: Float.self)
        let acc = (slice + tablesBytes + s.filterHeight * rowStride * 4).assumingMemoryBound(to: Int32.self)
        // Expanded rows are kept across output rows: slot j holds input row keys[j]
        // (batch · height + iy), so with stride 1 each input row is converted once.
        let keys = rowKeys(slice)
        for row in rows {
            let batch = row / s.outputHeight
            let iy0 = row % s.outputHeight * s.strideHeight - s.padTop
            func needed(_ key: Int) -> Bool {
                let d = key - (batch * s.inputHeight + iy0)
                return key >= batch * s.inputHeight && d >= 0 && d % s.dilationHeight == 0 && d / s.dilationHeight < s.filterHeight
            }
            let inputs = s.collectRows(row, tables: slice, filters: w) { iy, _ in
                let key = batch * s.inputHeight + iy
                var slot = 0
                while slot < s.filterHeight && keys[slot] != key { slot += 1 }
                if slot == s.filterHeight {
                    slot = 0
                    while slot < s.filterHeight - 1 && keys[slot] >= 0 && needed(keys[slot]) { slot += 1 }
                    keys[slot] = key
                    let to = expanded + slot * rowStride
                    let source = input + key * s.inputWidth * s.channels
                    if blocked {
                        #if arch(x86_64)
                        if s.multiplier == 1 {
                            MicrokernelsAVX512.InstructionSetKernels.zeroPointFreeBlockedFloats(
                                UnsafeRawPointer(source), signed: Element.isSigned, width: s.inputWidth, channels: s.channels, zeroPoint: zin,
                                into: to, blockStride: s.blockElements)
                        } else {
                            s.expandBlockedRow(input, batch: batch, iy: iy, into: to, convert: { Float(Int32($0) &- zin) })
                        }
                        #endif
                    } else if s.multiplier == 1 {
                        isa.zeroPointFreeFloats(source, count: s.inputWidth * s.channels, zeroPoint: zin, into: to)
                    } else {
                        s.expandRow(input, batch: batch, iy: iy, into: to, convert: { Float(Int32($0) &- zin) })
                    }
                }
                return UnsafePointer(expanded + slot * rowStride)
            }
            let out = output + row * count
            // AVX-512: every channel summed and requantized in registers.
            #if arch(x86_64)
            if blocked {
                MicrokernelsAVX512.InstructionSetKernels.depthwiseRequantizedRows16(
                    rowShape, inputs, blockStride: s.blockElements, bias: p.bias.pointer, floatBias: p.floatBias.map { UnsafePointer($0.pointer) },
                    requantization, outputZeroPoint: p.outputZeroPoint, minimum: p.minimum, maximum: p.maximum, into: UnsafeMutableRawPointer(out))
                continue
            }
            #endif
            for ox in 0..<s.outputWidth { (acc + ox * oc).update(from: p.bias.pointer, count: oc) }
            if rowsPerCall == 0 {
                Self.accumulateScalar(rowShape, inputs, acc: acc)
            } else {
                var first = 0
                while first < inputs.count {
                    let part = DepthwiseRowInputs(rows: inputs.rows + first, filters: inputs.filters + first,
                                                  count: min(rowsPerCall, inputs.count - first))
                    switch isa {
                    case .avx512, .avx512vnni:
                        MicrokernelsAVX512.InstructionSetKernels.depthwiseIntegerRow(rowShape, part, acc: acc)
                    case .avx2: MicrokernelsAVX2.InstructionSetKernels.depthwiseIntegerRow(rowShape, part, acc: acc)
                    case .baseline: depthwiseIntegerRow(SIMD8<Float>.self, rowShape, part, acc: acc, fused: KernelISA.baselineFuses)
                    }
                    first += rowsPerCall
                }
            }
            isa.requantizeRows(requantization, acc, rows: s.outputWidth, stride: oc, count: oc, outputZeroPoint: p.outputZeroPoint,
                               minimum: p.minimum, maximum: p.maximum, into: out)
        }
    }

    /// Exact Int32 sums, one product at a time (filters wider than `exactProductChunk`).
    private static func accumulateScalar(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, acc: UnsafeMutablePointer<Int32>) {
        for ox in 0..<s.outputWidth {
            let (first, end, origin) = s.taps(ox)
            for r in 0..<inputs.count {
                for kx in first..<end {
                    let x = inputs.rows[r] + (origin + kx * s.dilationWidth) * s.channels
                    let f = inputs.filters[r] + kx * s.channels
                    for c in 0..<s.channels { acc[ox * s.channels + c] &+= Int32(x[c]) &* Int32(f[c]) }
                }
            }
        }
    }
}

import Microkernels
import MicrokernelsAVX512
import TFLiteCore
#if arch(x86_64)
import MicrokernelsVNNI
#endif

/// CONV_2D: `out[b][y][x][o] = act(bias[o] + Σ_{ky,kx,i} in[b][y·sh+ky·dh−ph][x·sw+kx·dw−pw][i] · w[o][ky][kx][i])`.
///
/// Inputs: NHWC input, OHWI filter (constant), optional bias. Types: FLOAT32 (float bias);
/// INT8 with per-channel symmetric INT8 weights and INT32 bias; UINT8 with per-tensor
/// asymmetric weights and INT32 bias. Evaluated as a matrix multiply over output pixels: 1×1
/// stride-1 convolutions read the input rows directly, others gather each 4-pixel tile's
/// patches (im2col) into per-thread scratch.
package enum Conv2D {
    package static func prepare(_ options: Conv2DOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...3, outputs: 1)
        let input = try context.input(0), filter = try context.input(1), output = try context.output(0)
        let bias = context.optionalInput(2)
        guard input.rank == 4 else { throw .invalidShape("input must be 4-D NHWC, got \(input.shape)") }
        guard filter.rank == 4 else { throw .invalidShape("filter must be 4-D OHWI, got \(filter.shape)") }
        let geometry = try ConvolutionShape(input: input.shape, filterHeight: filter.shape[1], filterWidth: filter.shape[2],
                                            inputChannels: filter.shape[3], outputChannels: filter.shape[0],
                                            padding: options.padding, strideHeight: options.strideHeight, strideWidth: options.strideWidth,
                                            dilationHeight: options.dilationHeight, dilationWidth: options.dilationWidth)
        try context.setOutputShape(0, geometry.outputShape)
        let activation = try options.activation.kind()
        switch (input.type, filter.type, output.type) {
        case (.float32, .float32, .float32):
            guard let weights = filter.constantValues(as: Float.self), weights.count >= filter.elementCount else {
                throw .notConstant("the filter must be constant")
            }
            let packed = PackedFloatWeights(weights: weights, n: geometry.outputChannels, k: geometry.patchSize,
                                            bias: try constantBiasFloat(bias, count: geometry.outputChannels), isa: context.kernelISA)
            let range = try options.activation.floatRange()
            return FloatConv2DKernel(geometry: geometry, weights: packed, minimum: range.min, maximum: range.max, threads: context.threadCount)
        case (.int8, .int8, .int8), (.uint8, .uint8, .uint8):
            let quantization = try ConvolutionQuantization(input: input, weights: filter, output: output, channels: geometry.outputChannels,
                                                           channelDimension: 0, activation: activation,
                                                           floatScaleProduct: input.type == .uint8, weightZeroPointsApply: input.type == .uint8)
            // First layers (few input channels) run directly at AVX-512 on float panels; the
            // sums stay exact below 2^24 (k · 255² < 2^24) — unless the byte kernels can take
            // them, with patches built by byte permutes (`BytePatchTables`).
            let firstLayer = geometry.runsDirectly(isa: context.kernelISA) && geometry.patchSize <= 258
            let weightValues = try widenedConstant(filter, "the filter"), biasValues = try constantBias32(bias, count: geometry.outputChannels)
            func pack(direct: Bool) -> PackedQuantizedWeights {
                PackedQuantizedWeights(
                    weights: weightValues, weightZeroPoints: quantization.weightZeroPoints,
                    n: geometry.outputChannels, k: geometry.patchSize, bias: biasValues,
                    requantization: quantization.requantization, outputZeroPoint: quantization.outputZeroPoint,
                    minimum: quantization.minimum, maximum: quantization.maximum, signed: input.type == .int8,
                    inputZeroPoint: quantization.inputZeroPoint, allowBytes: !direct, isa: context.kernelISA)
            }
            if firstLayer, context.kernelISA.hasByteTableLookups {
                let packed = pack(direct: false)
                if let bytes = packed.bytes, let tables = BytePatchTables(geometry, rowBytes: bytes.rowBytes) {
                    return QuantizedConv2DKernel(signed: input.type == .int8, geometry: geometry, weights: packed,
                                                 inputZeroPoint: quantization.inputZeroPoint, threads: context.threadCount, patchTables: tables)
                }
            }
            return QuantizedConv2DKernel(signed: input.type == .int8, geometry: geometry, weights: pack(direct: firstLayer),
                                         inputZeroPoint: quantization.inputZeroPoint, threads: context.threadCount, direct: firstLayer)
        case (.float32, .int8, .float32):
            return try prepareHybrid(options, geometry: geometry, filter: filter, bias: bias, output: output, threads: context.threadCount)
        default:
            throw .unsupportedType("CONV_2D of \(input.type.schemaName) input, \(filter.type.schemaName) filter, \(output.type.schemaName) output")
        }
    }
}

/// Room `gatherPatches` needs past the last patch of a buffer.
let gatherSlackBytes = 64

/// The sizes of a 2-D convolution, checked and precomputed.
package struct ConvolutionShape: Sendable {
    package let batches: Int, inputHeight: Int, inputWidth: Int, inputChannels: Int
    package let filterHeight: Int, filterWidth: Int, outputChannels: Int
    package let outputHeight: Int, outputWidth: Int
    package let strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int
    package let padTop: Int, padLeft: Int

    package var outputShape: [Int] { [batches, outputHeight, outputWidth, outputChannels] }
    /// Elements of one im2col row: kh × kw × input channels.
    package var patchSize: Int { filterHeight * filterWidth * inputChannels }
    package var outputPixels: Int { batches * outputHeight * outputWidth }
    /// True when each output pixel's patch is exactly one input pixel (1×1, stride 1, no pad).
    package var isPointwise: Bool {
        filterHeight == 1 && filterWidth == 1 && strideHeight == 1 && strideWidth == 1 && padTop == 0 && padLeft == 0
            && outputHeight == inputHeight && outputWidth == inputWidth
    }

    package init(input: [Int], filterHeight: Int, filterWidth: Int, inputChannels: Int, outputChannels: Int, padding: Padding,
                 strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int) throws(OpError) {
        guard input.count == 4 else { throw .invalidShape("input must be 4-D") }
        guard input[3] == inputChannels else {
            throw .invalidShape("input has \(input[3]) channels but the filter takes \(inputChannels)")
        }
        guard outputChannels >= 1, inputChannels >= 1 else { throw .invalidShape("the filter has no channels") }
        let h = try WindowGeometry(padding: padding, inputSize: input[1], filterSize: filterHeight, stride: strideHeight, dilation: dilationHeight)
        let w = try WindowGeometry(padding: padding, inputSize: input[2], filterSize: filterWidth, stride: strideWidth, dilation: dilationWidth)
        batches = input[0]; inputHeight = input[1]; inputWidth = input[2]; self.inputChannels = inputChannels
        self.filterHeight = filterHeight; self.filterWidth = filterWidth; self.outputChannels = outputChannels
        outputHeight = h.outputSize; outputWidth = w.outputSize
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight; self.dilationWidth = dilationWidth
        padTop = h.paddingBefore; padLeft = w.paddingBefore
        try checkedElementCount([batches, outputHeight, outputWidth, outputChannels, filterHeight, filterWidth, inputChannels])
    }

    /// Elements of the input tensor.
    package var inputCount: Int { batches * inputHeight * inputWidth * inputChannels }

    /// Whether the AVX-512 direct convolution runs this shape instead of gathering patches:
    /// few input channels (a network's first layer).
    func runsDirectly(isa: KernelISA) -> Bool {
        #if arch(x86_64)
        isa >= .avx512 && inputChannels <= 4 && !isPointwise
        #else
        false
        #endif
    }

    /// The sizes as the direct-convolution kernel takes them.
    var directShape: DirectConvolutionShape {
        DirectConvolutionShape(inputHeight: inputHeight, inputWidth: inputWidth, inputChannels: inputChannels, outputHeight: outputHeight,
                               outputWidth: outputWidth, outputChannels: outputChannels, filterHeight: filterHeight, filterWidth: filterWidth,
                               strideHeight: strideHeight, strideWidth: strideWidth, dilationHeight: dilationHeight, dilationWidth: dilationWidth,
                               padTop: padTop, padLeft: padLeft)
    }

    /// Copies the receptive fields of output pixels `first ..< first + count` into rows of
    /// `row` (`rowStride` apart, patchSize values each), writing `pad` where the window
    /// leaves the input, converting each value with `convert`. Without conversion (`In` =
    /// `Out`) a filter row of at most 64 bytes is copied as one 64-byte block where the input
    /// has that many bytes left: `row` needs `gatherSlackBytes` of room past the last patch
    /// (whatever lands past a patch is overwritten or ignored).
    @inline(__always)
    func gatherPatches<In, Out>(_ input: UnsafePointer<In>, first: Int, count: Int, into row: UnsafeMutablePointer<Out>, rowStride: Int,
                                pad: Out, convert: (In) -> Out) {
        // One division for the tile, then step the coordinates.
        var ox = first % outputWidth
        let rest = first / outputWidth
        var oy = rest % outputHeight
        var b = rest / outputHeight
        for r in 0..<count {
            gatherPatch(input, b: b, oy: oy, ox: ox, into: row + r * rowStride, pad: pad, convert: convert)
            ox += 1
            if ox == outputWidth {
                ox = 0
                oy += 1
                if oy == outputHeight { oy = 0; b += 1 }
            }
        }
    }

    @inline(__always)
    private func gatherPatch<In, Out>(_ input: UnsafePointer<In>, b: Int, oy: Int, ox: Int, into row: UnsafeMutablePointer<Out>, pad: Out,
                                      convert: (In) -> Out) {
        // The last element a 64-byte block copy may start at and stay inside the input (none
        // when the whole input is shorter than 64 bytes).
        let blockElements = 64 / MemoryLayout<In>.stride
        let lastBlockStart = inputCount - blockElements
        var position = 0
        let left = ox * strideWidth - padLeft
        let span = filterWidth * inputChannels
        for ky in 0..<filterHeight {
            let iy = oy * strideHeight - padTop + ky * dilationHeight
            if dilationWidth == 1 && iy >= 0 && iy < inputHeight && left >= 0 && left + filterWidth <= inputWidth {
                // The whole filter row lies inside the input: one contiguous run.
                let source = input + ((b * inputHeight + iy) * inputWidth + left) * inputChannels
                let target = row + position
                if In.self == Out.self && span * MemoryLayout<In>.stride <= 64 && source - input <= lastBlockStart {
                    let block = UnsafeRawPointer(source).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(target).storeBytes(of: block, as: SIMD16<Float>.self)
                } else if In.self == Out.self {
                    UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: span * MemoryLayout<In>.stride)
                } else {
                    for c in 0..<span { target[c] = convert(source[c]) }
                }
                position += span
                continue
            }
            for kx in 0..<filterWidth {
                let ix = left + kx * dilationWidth
                if iy >= 0 && iy < inputHeight && ix >= 0 && ix < inputWidth {
                    let source = input + ((b * inputHeight + iy) * inputWidth + ix) * inputChannels
                    for c in 0..<inputChannels { row[position + c] = convert(source[c]) }
                } else {
                    for c in 0..<inputChannels { row[position + c] = pad }
                }
                position += inputChannels
            }
        }
    }
}

final class FloatConv2DKernel: HardSwishFusing, ConvolutionRowProducing, ResidualAddFusing, InputScaleFusing, InputAffineFusing {
    let geometry: ConvolutionShape
    let weights: PackedFloatWeights
    let minimum: Float, maximum: Float
    let threads: Int
    /// HARD_SWISH applied to each stored tile (`fuseHardSwish`).
    private(set) var hardSwish = false
    /// A residual ADD's other addend (an input of the step), added to each stored tile after
    /// any HARD_SWISH (`fuseResidualAdd`).
    private(set) var residual: (input: Int, addendFirst: Bool, minimum: Float, maximum: Float)?
    /// A MUL's per-channel scale (an input of the step) applied to each input row as the 1×1
    /// path takes it (`fuseInputScale`).
    private(set) var inputScale: (input: Int, scaleFirst: Bool, minimum: Float, maximum: Float)?
    /// An input normalization applied to the input rows the direct path takes (`fuseInputAffine`).
    private(set) var inputAffine: InputAffine?

    func fuseHardSwish() { hardSwish = true }

    func fuseInputAffine(_ affine: InputAffine) -> Bool {
        guard runsDirectly, inputAffine == nil else { return false }
        inputAffine = affine
        return true
    }

    func fuseResidualAdd(input: Int, addendFirst: Bool, minimum: Float, maximum: Float) -> Bool {
        // The direct path stores whole rows through `produceRow`, which adds nothing.
        guard !runsDirectly, residual == nil else { return false }
        residual = (input, addendFirst, minimum, maximum)
        return true
    }

    func fuseInputScale(input: Int, scaleFirst: Bool, minimum: Float, maximum: Float) -> Bool {
        guard geometry.isPointwise, !runsDirectly, inputScale == nil else { return false }
        inputScale = (input, scaleFirst, minimum, maximum)
        return true
    }

    init(geometry: ConvolutionShape, weights: PackedFloatWeights, minimum: Float, maximum: Float, threads: Int) {
        self.geometry = geometry
        self.weights = weights
        self.minimum = minimum
        self.maximum = maximum
        self.threads = max(1, threads)
    }

    private var chunkBytes: Int { weights.tileRows * geometry.patchSize * 4 + gatherSlackBytes }
    /// Per thread, a tile of patch rows (or of scaled input rows, with a fused input scale).
    var scratchByteCount: Int {
        if runsDirectly { return saturatingProduct(threads, rowScratchBytes) }
        return geometry.isPointwise && inputScale == nil ? 0 : threads * chunkBytes
    }

    /// With a fused input normalization, the normalized input rows one output row reads.
    var rowScratchBytes: Int {
        guard inputAffine != nil else { return 0 }
        let g = geometry
        // The rows a filter spans that lie in the input: never more than the input's height
        // (a hostile dilation spans billions of rows, nearly all padding).
        let span = min(saturatingSum(saturatingProduct(g.filterHeight - 1, g.dilationHeight), 1), g.inputHeight)
        return saturatingSum(saturatingProduct(span, g.inputWidth, g.inputChannels, 4), 63) / 64 * 64
    }

    private var runsDirectly: Bool { geometry.runsDirectly(isa: weights.isa) }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Float.self)
        let output = args.output(0, as: Float.self)
        let g = geometry
        #if arch(x86_64)
        if runsDirectly {
            args.runner.forEachChunk(count: g.batches * g.outputHeight, context: (self, input, output, args.scratch)) { c, thread, rows in
                let (kernel, input, output, scratch) = c
                let rowElements = kernel.geometry.outputWidth * kernel.geometry.outputChannels
                let slice = scratch.map { $0 + thread * kernel.rowScratchBytes }
                for row in rows { kernel.produceRow(row, input: input, into: output + row * rowElements, scratch: slice) }
            }
            return
        }
        #endif
        let tileRows = weights.tileRows
        let tiles = (g.outputPixels + tileRows - 1) / tileRows
        let addend = residual.map { args.input($0.input, as: Float.self) }
        let scale = inputScale.map { args.input($0.input, as: Float.self) }
        args.runner.forEachTileBlock(tiles: tiles, panels: weights.panels, tileGrain: 16 / tileRows,
                                     work: multiplyAdds(g.outputPixels, g.outputChannels, g.patchSize),
                                     weightBytes: multiplyAdds(g.outputChannels, g.patchSize, 4), inputBytes: saturatingProduct(g.inputCount, 4),
                                     context: (self, input, output, args.scratch, addend, scale)) {
            c, chunk, tiles, panels in
            c.0.multiply(tiles, panels: panels, input: c.1, output: c.2, rows: c.3.map { ($0 + chunk * c.0.chunkBytes).assumingMemoryBound(to: Float.self) },
                         addend: c.4, scale: c.5)
        }
    }

    /// Row tiles `tiles` × column panels `panels`; `rows` is the chunk's patch buffer (nil for
    /// 1×1 without an input scale); `addend` the fused residual ADD's other input, `scale` the
    /// fused MUL's per-channel scale.
    private func multiply(_ tiles: Range<Int>, panels: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                          rows: UnsafeMutablePointer<Float>?, addend: UnsafePointer<Float>?, scale: UnsafePointer<Float>?) {
        let g = geometry, tileRows = weights.tileRows
        let k = g.patchSize, n = g.outputChannels
        if g.isPointwise, let scale, let rows, let s = inputScale {
            // Each tile's rows scaled once (the MUL's own loop, a row at a time, into the
            // chunk's buffer), then multiplied by every panel: the squeeze-and-excite
            // projections' weights (≤ 0.6 MB in MobileNetV3) stay in L2 without the blocks
            // below, which would scale each tile once per block.
            for tile in tiles {
                let first = tile * tileRows, count = min(tileRows, g.outputPixels - first)
                for r in 0..<count {
                    let x = input + (first + r) * k
                    weights.isa.floatBinary(.mul, s.scaleFirst ? scale : x, contiguous: true, s.scaleFirst ? x : scale, contiguous: true,
                                            rows + r * k, count: k, minimum: s.minimum, maximum: s.maximum)
                }
                storeTile(rows: count, a: UnsafePointer(rows), out: output + first * n, addend: addend.map { $0 + first * n }, panels: panels)
            }
            return
        }
        if g.isPointwise {
            // The rows are the input itself, so the weights can be taken a block of panels at a
            // time (each block stays in cache while every tile passes over it) instead of all
            // of them streaming past each tile: that matters when they outgrow the L2 cache
            // (the 7×7 layers of MobileNet: 1.6 MB for 320 → 1280 channels).
            // (One tile — a 1×1 image — passes once: its panels in one call, which takes one
            // row four panels at a time.)
            let block = tiles.count == 1 ? panels.count : max(2, panelBlockBytes / max(1, k * weights.panelBytesPerStep) / 2 * 2)
            var firstPanel = panels.lowerBound
            while firstPanel < panels.upperBound {
                let blockPanels = firstPanel..<min(panels.upperBound, firstPanel + block)
                for tile in tiles {
                    let first = tile * tileRows, count = min(tileRows, g.outputPixels - first)
                    storeTile(rows: count, a: input + first * k, out: output + first * n, addend: addend.map { $0 + first * n }, panels: blockPanels)
                }
                firstPanel = blockPanels.upperBound
            }
            return
        }
        let buffer = rows.unsafelyUnwrapped
        for tile in tiles {
            let first = tile * tileRows
            let count = min(tileRows, g.outputPixels - first)
            g.gatherPatches(input, first: first, count: count, into: buffer, rowStride: k, pad: 0, convert: { $0 })
            storeTile(rows: count, a: UnsafePointer(buffer), out: output + first * n, addend: addend.map { $0 + first * n }, panels: panels)
        }
    }

    /// Output rows come one at a time (all columns, all channels) when the convolution runs
    /// row by row anyway: 1×1 (its weights, taken whole for each row, at most
    /// `rowProducingWeightBytes`) or direct.
    var producedRows: (rows: Int, width: Int, channels: Int)? {
        let g = geometry
        guard runsDirectly || (g.isPointwise && saturatingProduct(g.patchSize, g.outputChannels, 4) <= rowProducingWeightBytes) else { return nil }
        return (g.batches * g.outputHeight, g.outputWidth, g.outputChannels)
    }

    func produceRow(_ row: Int, input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutableRawPointer?) {
        let g = geometry
        #if arch(x86_64)
        if runsDirectly {
            let w = UnsafePointer(weights.data.pointer), b = UnsafePointer(weights.bias.pointer)
            var s = g.directShape, image = input, imageRow = row
            if let affine = inputAffine, let scratch {
                // The input rows this output row reads, normalized into the scratch, become an
                // image of their own: the same taps, in the same order, over the same values.
                let oy = row % s.outputHeight, batch = row / s.outputHeight
                let top = oy * s.strideHeight - s.padTop
                let first = max(0, top), end = min(s.inputHeight, top + (s.filterHeight - 1) * s.dilationHeight + 1)
                let band = scratch.assumingMemoryBound(to: Float.self), rowValues = s.inputWidth * s.inputChannels
                if end > first {
                    affine.apply(input + (batch * s.inputHeight + first) * rowValues, into: band, count: (end - first) * rowValues, isa: weights.isa)
                }
                s.inputHeight = max(0, end - first)
                s.outputHeight = 1
                s.padTop = first - top
                image = UnsafePointer(band)
                imageRow = 0
            }
            MicrokernelsAVX512.InstructionSetKernels.directConvolutionRow(s, input: image, row: imageRow, weights: w, bias: b, out: out,
                                                                          minimum: minimum, maximum: maximum)
            if hardSwish { MicrokernelsAVX512.InstructionSetKernels.hardSwish(out, out, count: s.outputWidth * s.outputChannels) }
            return
        }
        #endif
        storeTiles(pixels: g.outputWidth, a: input + row * g.outputWidth * g.patchSize, out: out, addend: nil)
    }

    /// A 1×1 convolution on the matrix-multiply path at AVX-512 (its tiles store a panel at a time).
    var producesBlockedRows: Bool { geometry.isPointwise && !runsDirectly && inputScale == nil && weights.isa >= .avx512 }

    func produceBlockedRow(_ row: Int, input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, blockStride: Int) {
        let g = geometry
        storeTiles(pixels: g.outputWidth, a: input + row * g.outputWidth * g.patchSize, out: out, addend: nil, blockStride: blockStride)
    }

    /// Whether `projectPixels` can run this convolution: 1×1, on the matrix-multiply path, no
    /// fused input scale, weights small enough to be taken whole for every tile
    /// (`rowProducingWeightBytes`).
    var projectsPixels: Bool {
        let g = geometry
        return g.isPointwise && !runsDirectly && inputScale == nil && saturatingProduct(g.patchSize, g.outputChannels, 4) <= rowProducingWeightBytes
    }

    /// Output pixels `first..<first + count` (batch · height · width order) of this 1×1
    /// convolution from `count` input pixels held at `a` (`patchSize` values each, one after
    /// another) rather than in the input tensor, stored into `output` exactly as `eval` stores
    /// them: any fused HARD_SWISH, and the fused residual ADD with `addend` (its other input,
    /// the whole tensor). Needs no scratch. Only when `projectsPixels`.
    func projectPixels(first: Int, count: Int, a: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>?) {
        let n = geometry.outputChannels
        storeTiles(pixels: count, a: a, out: output + first * n, addend: addend.map { $0 + first * n })
    }

    /// `pixels` consecutive output pixels, every channel, from their input rows at `a`
    /// (`patchSize` apart) into `out` (`outputChannels` apart; with `blockStride`, in blocks of
    /// 16 channels: `PackedFloatWeights.multiply`), a tile at a time (`storeTile`; `addend`: the
    /// residual addend's same pixels).
    @inline(__always)
    private func storeTiles(pixels: Int, a: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>?,
                            blockStride: Int? = nil) {
        let tileRows = weights.tileRows, k = geometry.patchSize, n = blockStride == nil ? geometry.outputChannels : 16
        var done = 0
        while done < pixels {
            let rows = min(tileRows, pixels - done)
            storeTile(rows: rows, a: a + done * k, out: out + done * n, addend: addend.map { $0 + done * n }, panels: 0..<weights.panels,
                      blockStride: blockStride)
            done += rows
        }
    }

    /// The channels of `panels` of `rows` (≤ `tileRows`) output pixels from their input rows
    /// at `a` (`patchSize` apart) into `out` (`outputChannels` apart): the matrix multiply with
    /// any fused HARD_SWISH and residual ADD (`addend`: the addend's same pixels) applied to
    /// each value before it is stored.
    @inline(__always)
    private func storeTile(rows: Int, a: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>?, panels: Range<Int>,
                           blockStride: Int? = nil) {
        let k = geometry.patchSize, n = blockStride == nil ? geometry.outputChannels : 16
        var epilogue = FloatGEMMEpilogue(hardSwish: hardSwish)
        if let addend, let r = residual {
            epilogue.addend = addend
            epilogue.addendFirst = r.addendFirst
            epilogue.minimum = r.minimum
            epilogue.maximum = r.maximum
        }
        weights.multiply(rows: rows, a: a, aStride: k, out: out, outStride: n, minimum: minimum, maximum: maximum, panels: panels,
                         epilogue: epilogue, blockStride: blockStride)
    }
}

final class QuantizedConv2DKernel: QuantizedResidualAddFusing {
    let signed: Bool
    let geometry: ConvolutionShape
    let weights: PackedQuantizedWeights
    let inputZeroPoint: Int32
    let threads: Int

    /// Runs directly (few input channels, AVX-512): the input converted once to
    /// zero-point-free floats (scratch), no patches.
    let direct: Bool

    /// The byte permutes that build a first layer's patches (`VNNIKernels.gatherBytePatches`)
    /// where the byte kernels take it instead of the direct path.
    let patchTables: BytePatchTables?
    /// `patchTables`' permutes (pointers into it, so that a chunk takes them without a retain).
    let patchVectors: BytePatchVectors?
    /// Patch rows a chunk's buffer holds: several tiles' when the permutes build them (one
    /// call for many pixels), else one tile's.
    private var patchRows: Int { patchVectors == nil ? byteTileRows : Self.patchTilesPerGather * byteTileRows }
    /// The patch rows' byte sums (one Int32 each, for weights with zero points), also taking
    /// `gatherPatches`' slack.
    private var sumsBytes: Int { max(64, gatherSlackBytes, patchRows * 4) }
    static let patchTilesPerGather = 8

    /// The fused residual ADD (`fuseResidualAdd`): its kernel, the step input holding the other
    /// addend, and whether that addend is the ADD's first input.
    private(set) var residual: (add: any QuantizedRowAdding, input: Int, addendFirst: Bool)?

    func fuseResidualAdd(_ add: any Kernel, input: Int, addendFirst: Bool) -> Bool {
        // The byte kernels' paths only (VNNI): the ADD runs on the rows each chunk stores.
        guard residual == nil, !direct, weights.bytes != nil, let add = add as? any QuantizedRowAdding, add.runsOnRows(signed: signed) else {
            return false
        }
        residual = (add, input, addendFirst)
        return true
    }

    init(signed: Bool, geometry: ConvolutionShape, weights: PackedQuantizedWeights, inputZeroPoint: Int32, threads: Int, direct: Bool = false,
         patchTables: BytePatchTables? = nil) {
        self.direct = direct
        self.patchTables = patchTables
        patchVectors = patchTables?.vectors
        self.signed = signed
        self.geometry = geometry
        self.weights = weights
        self.inputZeroPoint = inputZeroPoint
        self.threads = max(1, threads)
    }

    /// Per thread: four rows of patch values, then the accumulator tile; for the byte
    /// kernels, eight rows of bytes, their sums, and the accumulator row.
    private var chunkBytes: Int {
        if let bytes = weights.bytes {
            // The row sums (`sumsBytes`) also take gatherPatches' slack (sums are written after).
            return (patchRows * bytes.rowBytes + 63) / 64 * 64 + sumsBytes + weights.byteTileScratchBytes
        }
        return (4 * geometry.patchSize * 4 + 63) / 64 * 64 + weights.tileScratchBytes
    }
    var scratchByteCount: Int { direct ? saturatingProduct(geometry.inputCount, 4) : threads * chunkBytes }

    func eval(_ args: KernelArguments) {
        #if arch(x86_64)
        if direct {
            let g = geometry
            let floats = args.scratch.unsafelyUnwrapped.assumingMemoryBound(to: Float.self)
            args.runner.forEachRange(count: g.inputCount, grain: elementwiseParallelGrain, context: (self, args.input(0, as: UInt8.self), floats)) { c, range in
                let (kernel, input, floats) = c
                let isa = kernel.weights.isa, zin = kernel.inputZeroPoint
                if kernel.signed {
                    isa.zeroPointFreeFloats(UnsafeRawPointer(input).assumingMemoryBound(to: Int8.self) + range.lowerBound, count: range.count, zeroPoint: zin,
                                            into: floats + range.lowerBound)
                } else {
                    isa.zeroPointFreeFloats(input + range.lowerBound, count: range.count, zeroPoint: zin,
                                            into: floats + range.lowerBound)
                }
            }
            args.runner.forEachRange(count: g.batches * g.outputHeight, context: (self, floats, args.outputs[0])) { c, rows in
                let (kernel, floats, output) = c
                let w = kernel.weights, s = kernel.geometry.directShape
                for row in rows {
                    MicrokernelsAVX512.InstructionSetKernels.directConvolutionRow(
                        s, input: floats, row: row, weights: UnsafePointer(w.data.pointer), bias: UnsafePointer(w.bias.pointer),
                        w.requantization.vectors, outputZeroPoint: w.outputZeroPoint, minimum: w.minimum, maximum: w.maximum,
                        out: output + row * s.outputWidth * s.outputChannels)
                }
            }
            return
        }
        #endif
        // Dispatch once to code specialized for the element type.
        if let bytes = weights.bytes {
            if signed { runBytes(args, bytes, Int8.self) } else { runBytes(args, bytes, UInt8.self) }
        } else {
            if signed { run(args, Int8.self) } else { run(args, UInt8.self) }
        }
    }

    @inline(__always)
    private func runBytes<Input: FixedWidthInteger>(_ args: KernelArguments, _ bytes: PackedByteWeights, _: Input.Type) {
        let tiles = (geometry.outputPixels + byteTileRows - 1) / byteTileRows
        let addend = residual.map { UnsafeRawPointer(args.input($0.input, as: Input.self)) }
        let context = (self, bytes, args.input(0, as: Input.self), args.output(0, as: Input.self), args.scratch.unsafelyUnwrapped, addend)
        args.runner.forEachTileBlock(tiles: tiles, panels: bytes.panels, tileGrain: 2,
                                     work: multiplyAdds(geometry.outputPixels, geometry.outputChannels, geometry.patchSize),
                                     weightBytes: saturatingProduct(bytes.rowBytes, geometry.outputChannels), inputBytes: geometry.inputCount,
                                     context: context) {
            c, chunk, tiles, panels in
            c.0.multiplyBytes(c.1, tiles, panels: panels, input: c.2, output: c.3, base: c.4 + chunk * c.0.chunkBytes)
            if let addend = c.5 { c.0.addResidual(addend, tiles: tiles, panels: panels, output: c.3) }
        }
    }

    /// The fused ADD (`residual`) on the outputs of row tiles `tiles` × panels `panels`, just
    /// stored: in place, with the other addend's same elements.
    private func addResidual(_ addend: UnsafeRawPointer, tiles: Range<Int>, panels: Range<Int>, output: UnsafeMutableRawPointer) {
        guard let residual else { return }
        let n = geometry.outputChannels
        let first = tiles.lowerBound * byteTileRows, end = min(tiles.upperBound * byteTileRows, geometry.outputPixels)
        let c0 = min(n, panels.lowerBound * 16), c1 = min(n, panels.upperBound * 16)
        guard first < end, c0 < c1 else { return }
        @inline(__always) func add(_ offset: Int, _ count: Int) {
            let out = output + offset, other = addend + offset
            if residual.addendFirst {
                residual.add.addElements(other, UnsafeRawPointer(out), count: count, into: out)
            } else {
                residual.add.addElements(UnsafeRawPointer(out), other, count: count, into: out)
            }
        }
        // Whole rows are one run of elements; a range of panels is a run per row.
        if c0 == 0 && c1 == n {
            add(first * n, (end - first) * n)
        } else {
            for row in first..<end { add(row * n + c0, c1 - c0) }
        }
    }

    /// Row tiles `tiles` × column panels `panels` on the byte kernels; `base` is the chunk's
    /// scratch.
    private func multiplyBytes<Input: FixedWidthInteger>(_ bytes: PackedByteWeights, _ tiles: Range<Int>, panels: Range<Int>,
                                                         input: UnsafePointer<Input>, output: UnsafeMutablePointer<Input>,
                                                         base: UnsafeMutableRawPointer) {
        let g = geometry
        let k = g.patchSize, n = g.outputChannels
        let rowBytes = bytes.rowBytes
        let padding = Input(truncatingIfNeeded: bytes.paddingByte)
        let sumsOffset = (patchRows * rowBytes + 63) / 64 * 64
        let rows = base.assumingMemoryBound(to: UInt8.self)
        let sums = (base + sumsOffset).assumingMemoryBound(to: Int32.self)
        let tileScratch = base + sumsOffset + sumsBytes
        // Pointwise rows already in the kernels' layout (k a multiple of 4) and no sums needed:
        // UINT8 rows are read where they are, INT8 ones flipped a whole tile at a time.
        let direct = g.isPointwise && rowBytes == k && !bytes.needsRowSums
        #if arch(x86_64)
        if let vectors = patchVectors {
            // The patches of several tiles (and their byte sums, where the weights have zero
            // points) go straight to the kernels' form in one call, then each tile is multiplied.
            var tile = tiles.lowerBound
            while tile < tiles.upperBound {
                let batch = min(Self.patchTilesPerGather, tiles.upperBound - tile)
                let first = tile * byteTileRows, count = min(batch * byteTileRows, g.outputPixels - first)
                VNNIKernels.gatherBytePatches(g.directShape, input: UnsafeRawPointer(input).assumingMemoryBound(to: UInt8.self), first: first,
                                              count: count, padding: bytes.paddingByte, flip: bytes.flip, vectors: vectors, into: rows,
                                              rowStride: rowBytes, sums: bytes.needsRowSums ? sums : nil)
                weights.multiplyBytes(bytes, rows: count, a: rows, rowSums: sums, out: output + first * n, outStride: n, scratch: tileScratch,
                                      panels: panels)
                tile += batch
            }
            return
        }
        #endif
        if direct {
            // Every tile in one call, INT8 rows flipped a tile at a time into `rows`.
            let first = tiles.lowerBound * byteTileRows
            let count = min(tiles.count * byteTileRows, g.outputPixels - first)
            let a = UnsafeRawPointer(input + first * k).assumingMemoryBound(to: UInt8.self)
            weights.multiplyBytes(bytes, rows: count, a: a, flipInto: bytes.flip != 0 ? rows : nil, rowSums: sums, out: output + first * n, outStride: n,
                                  scratch: tileScratch, panels: panels)
            return
        }
        for tile in tiles {
            let first = tile * byteTileRows
            let count = min(byteTileRows, g.outputPixels - first)
            if !g.isPointwise {
                g.gatherPatches(input, first: first, count: count, into: UnsafeMutableRawPointer(rows).assumingMemoryBound(to: Input.self),
                                rowStride: rowBytes, pad: padding, convert: { $0 })
            }
            for r in 0..<count {
                let row = rows + r * rowBytes
                sums[r] = bytes.prepareRow(g.isPointwise ? UnsafeRawPointer(input + (first + r) * k) : UnsafeRawPointer(row), into: row)
            }
            weights.multiplyBytes(bytes, rows: count, a: rows, rowSums: sums, out: output + first * n, outStride: n, scratch: tileScratch,
                                  panels: panels)
        }
    }

    @inline(__always)
    private func run<Input: FixedWidthInteger>(_ args: KernelArguments, _: Input.Type) {
        let tiles = (geometry.outputPixels + 3) / 4
        let context = (self, args.input(0, as: Input.self), args.output(0, as: Input.self), args.scratch.unsafelyUnwrapped)
        args.runner.forEachChunk(count: tiles, grain: 4, context: context) { c, chunk, tiles in
            c.0.multiply(tiles, input: c.1, output: c.2, base: c.3 + chunk * c.0.chunkBytes)
        }
    }

    /// Row tiles `tiles` (of four rows) on the float kernels; `base` is the chunk's scratch.
    private func multiply<Input: FixedWidthInteger>(_ tiles: Range<Int>, input: UnsafePointer<Input>, output: UnsafeMutablePointer<Input>,
                                                    base: UnsafeMutableRawPointer) {
        let g = geometry
        let k = g.patchSize, n = g.outputChannels
        let zeroPoint = inputZeroPoint
        let buffer = base.assumingMemoryBound(to: Float.self)
        let tileScratch = base + (4 * k * 4 + 63) / 64 * 64
        for tile in tiles {
            let first = tile * 4
            let count = min(4, g.outputPixels - first)
            if g.isPointwise {
                let source = input + first * k
                weights.isa.zeroPointFreeFloats(source, count: count * k, zeroPoint: zeroPoint, into: buffer)
            } else {
                g.gatherPatches(input, first: first, count: count, into: buffer, rowStride: k, pad: 0, convert: { Float(Int32($0) &- zeroPoint) })
            }
            weights.multiply(rows: count, a: UnsafePointer(buffer), aStride: k, out: output + first * n, outStride: n, scratch: tileScratch)
        }
    }
}

/// `BytePatchVectors` for a convolution with few input channels on the byte kernels: the
/// permute of each filter row for a group of pixels (as many as fit in a vector of patch rows
/// and in 64 bytes of an input row). Nil where a filter row's taps are not one run of at most
/// 64 bytes (dilated columns) or a patch row is longer than 64 bytes.
package final class BytePatchTables {
    let indices: AlignedBuffer<UInt8>
    let masks: AlignedBuffer<UInt64>
    let pixels: Int

    init?(_ g: ConvolutionShape, rowBytes: Int) {
        let c = g.inputChannels, span = g.filterWidth * c, step = g.strideWidth * c
        guard g.dilationWidth == 1, c > 0, span <= 64, step > 0, g.filterHeight * span <= rowBytes, rowBytes <= 64 else { return nil }
        pixels = min(64 / rowBytes, (64 - span) / step + 1)
        indices = AlignedBuffer(count: g.filterHeight * 64, repeating: 0)
        masks = AlignedBuffer(count: g.filterHeight, repeating: 0)
        for q in 0..<(pixels * rowBytes) {
            let pixel = q / rowBytes, position = q % rowBytes
            guard position < g.filterHeight * span else { continue }
            let ky = position / span
            indices.pointer[ky * 64 + q] = UInt8(pixel * step + position % span)
            masks.pointer[ky] |= 1 << UInt64(q)
        }
    }

    var vectors: BytePatchVectors { BytePatchVectors(pixels: pixels, indices: indices.pointer, masks: masks.pointer) }
}

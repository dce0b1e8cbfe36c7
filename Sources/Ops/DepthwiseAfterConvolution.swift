/// A FLOAT32 DEPTHWISE_CONV_2D fused with the convolution whose output only it reads (the
/// expansion of MobileNet's inverted residual blocks, or the first layer): each thread makes
/// the convolution's rows as its depthwise rows first need them, into a ring of as many rows as
/// the depthwise filter spans, so the intermediate tensor (4.8 MB at MobileNetV2's 112×112×96)
/// never leaves the core's cache and gets no memory of its own.
///
/// The 1×1 convolution that alone reads the depthwise output (the block's projection, with its
/// fused residual ADD) can run inside it too (`fuseProjection`): each thread then writes its
/// depthwise rows into a small strip and projects the strip while it is in cache, so the
/// whole inverted residual block is one step, handed to the threads once, and the depthwise
/// output gets no memory either.
///
/// The values are those of the ops run one after the other: the same kernels compute every
/// row. A range of output rows that does not follow the thread's previous one recomputes the
/// 1–2 convolution rows it shares with the range before it.
package final class DepthwiseAfterConvolutionKernel: Kernel {
    /// The fused kernel when `depthwise` is a FLOAT32 depthwise convolution (multiplier 1) and
    /// `convolution` produces its input row by row; nil otherwise.
    package static func fusing(_ depthwise: any Kernel, after convolution: any Kernel, threads: Int) -> (any Kernel)? {
        guard let depthwise = depthwise as? FloatDepthwiseKernel, let convolution = convolution as? ConvolutionRowProducing else { return nil }
        return DepthwiseAfterConvolutionKernel(convolution: convolution, depthwise: depthwise, threads: threads)
    }

    /// The smallest intermediate tensor (bytes) worth fusing: smaller ones stay in cache
    /// between the two ops anyway, and a thread's recomputed rows cost relatively more.
    package static let minimumIntermediateBytes = 512 * 1024

    let convolution: any ConvolutionRowProducing
    let depthwise: FloatDepthwiseKernel
    let threads: Int
    /// Ring rows: input rows one depthwise output row spans.
    let span: Int
    let rowElements: Int
    /// Whether the ring rows are made in blocks of 16 channels (`ChannelBlocked`) for a
    /// depthwise that runs on such rows (`FloatDepthwiseKernel.takesBlockedRows`; at stride 1
    /// too, which would not gain from copies of its rows).
    let blockedRows: Bool
    /// The fused projection (`fuseProjection`), and the depthwise rows its strip holds.
    private(set) var projection: FloatConv2DKernel?
    private(set) var stripRows = 0

    /// Nil unless `convolution` produces rows and its output is `depthwise`'s input.
    init?(convolution: any ConvolutionRowProducing, depthwise: FloatDepthwiseKernel, threads: Int) {
        let s = depthwise.shape
        guard let rows = convolution.producedRows, s.multiplier == 1, rows.rows == s.batches * s.inputHeight,
              rows.width == s.inputWidth, rows.channels == s.channels else { return nil }
        self.convolution = convolution
        self.depthwise = depthwise
        self.threads = max(1, threads)
        span = (s.filterHeight - 1) * s.dilationHeight + 1
        blockedRows = depthwise.takesBlockedRows && convolution.producesBlockedRows
        rowElements = blockedRows ? s.blockedRowElements : s.inputWidth * s.channels
    }

    /// Depthwise rows projected at once: enough for 64 pixels (eight 8-row tiles of the
    /// matrix multiply), within `stripBytes`, never fewer than one.
    static let stripPixels = 64, stripBytes = 48 * 1024

    /// Runs `kernel` — a FLOAT32 1×1 convolution (`FloatConv2DKernel.projectsPixels`) whose
    /// input is this step's output, and which alone reads it — inside this step: the step then
    /// writes that convolution's output, reads its other inputs at their positions after this
    /// step's one input (the block's input; the residual addend keeps its index), and this
    /// step's depthwise output is never stored. False, and nothing changes, when it cannot or
    /// when the scratch would then exceed `scratchBudget` bytes.
    package func fuseProjection(_ kernel: any Kernel, scratchBudget: Int) -> Bool {
        let s = depthwise.shape
        guard projection == nil, let kernel = kernel as? FloatConv2DKernel, kernel.projectsPixels,
              kernel.geometry.patchSize == s.outputChannels, kernel.geometry.outputPixels == saturatingProduct(s.outputRows, s.outputWidth),
              s.outputWidth > 0, s.outputChannels > 0 else { return false }
        let rowBytes = saturatingProduct(s.outputWidth, s.outputChannels, 4)
        projection = kernel
        stripRows = max(1, min((Self.stripPixels + s.outputWidth - 1) / s.outputWidth, Self.stripBytes / rowBytes))
        guard scratchByteCount <= scratchBudget else {
            (projection, stripRows) = (nil, 0)
            return false
        }
        return true
    }

    private var ringBytes: Int { (saturatingProduct(span, rowElements, 4) + 63) / 64 * 64 }
    private var stripBytes: Int {
        projection == nil ? 0 : (saturatingProduct(stripRows, depthwise.shape.outputWidth, depthwise.shape.outputChannels, 4) + 63) / 64 * 64
    }
    /// The depthwise's scratch, the ring, the ring's state (`RingState`), the strip, then the
    /// convolution's row scratch.
    private var sliceBytes: Int { saturatingSum(depthwise.sliceBytes, ringBytes, 64, stripBytes, convolution.rowScratchBytes) }

    /// What a thread's ring holds, kept across the ranges it runs in one invoke: the last
    /// output row it made (its ring serves the next row only), the batch, and one past the
    /// last input row computed.
    private struct RingState {
        var lastRow: Int, batch: Int, next: Int
    }

    private func ringState(_ slice: UnsafeMutableRawPointer) -> UnsafeMutablePointer<RingState> {
        (slice + depthwise.sliceBytes + ringBytes).assumingMemoryBound(to: RingState.self)
    }
    package var scratchByteCount: Int { saturatingProduct(threads, sliceBytes) }

    package func eval(_ args: KernelArguments) {
        let addend = projection?.residual.map { args.input($0.input, as: Float.self) }
        let context = (self, args.input(0, as: Float.self), args.output(0, as: Float.self), args.scratch.unsafelyUnwrapped, addend)
        for thread in 0..<min(threads, args.runner.threadCount) {
            ringState(context.3 + thread * sliceBytes).pointee = RingState(lastRow: -2, batch: -1, next: 0)
        }
        args.runner.forEachChunk(count: depthwise.shape.outputRows, context: context) { c, chunk, rows in
            c.0.run(rows, input: c.1, output: c.2, slice: c.3 + chunk * c.0.sliceBytes, addend: c.4)
        }
    }

    /// Depthwise output rows `rows` (and their projection, into `output`, when fused: `addend`
    /// is its residual's other input); `slice` holds the depthwise's scratch, the ring, its
    /// state and the strip.
    private func run(_ rows: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, slice: UnsafeMutableRawPointer,
                     addend: UnsafePointer<Float>?) {
        let s = depthwise.shape, span = self.span, rowElements = self.rowElements
        let ring = (slice + depthwise.sliceBytes).assumingMemoryBound(to: Float.self)
        // Input row iy lives in ring slot iy mod span: the rows one output row reads are
        // consecutive, fewer than `span + 1`, so they never share a slot. The ring goes on
        // from the thread's previous range when that ended just before this one.
        let state = ringState(slice)
        var (batch, next) = state.pointee.lastRow == rows.lowerBound - 1 ? (state.pointee.batch, state.pointee.next) : (-1, 0)
        defer { state.pointee = RingState(lastRow: rows.upperBound - 1, batch: batch, next: next) }
        let strip = (slice + depthwise.sliceBytes + ringBytes + 64).assumingMemoryBound(to: Float.self)
        let rowScratch = convolution.rowScratchBytes > 0 ? slice + depthwise.sliceBytes + ringBytes + 64 + stripBytes : nil
        let outputRowElements = s.outputWidth * s.outputChannels
        var stripFirst = rows.lowerBound
        for row in rows {
            let b = row / s.outputHeight, top = (row % s.outputHeight) * s.strideHeight - s.padTop
            if b != batch { batch = b; next = 0 }
            let end = min(s.inputHeight, top + span)
            var iy = max(next, top, 0)
            while iy < end {
                if blockedRows {
                    convolution.produceBlockedRow(b * s.inputHeight + iy, input: input, into: ring + (iy % span) * rowElements,
                                                  blockStride: s.blockElements)
                } else {
                    convolution.produceRow(b * s.inputHeight + iy, input: input, into: ring + (iy % span) * rowElements, scratch: rowScratch)
                }
                iy += 1
            }
            next = max(next, end)
            guard let projection else {
                depthwise.runRow(row, channels: 0..<s.outputChannels, into: output + row * outputRowElements, slice: slice,
                                 rowsBlocked: blockedRows) { iy, _ in
                    UnsafePointer(ring + (iy % span) * rowElements)
                }
                continue
            }
            depthwise.runRow(row, channels: 0..<s.outputChannels, into: strip + (row - stripFirst) * outputRowElements, slice: slice,
                             rowsBlocked: blockedRows) { iy, _ in
                UnsafePointer(ring + (iy % span) * rowElements)
            }
            if row + 1 - stripFirst == stripRows || row + 1 == rows.upperBound {
                projection.projectPixels(first: stripFirst * s.outputWidth, count: (row + 1 - stripFirst) * s.outputWidth, a: strip,
                                         output: output, addend: addend)
                stripFirst = row + 1
            }
        }
    }
}

import Microkernels
import MicrokernelsAVX2
import MicrokernelsAVX512

/// The float32 matrix multiply behind CONV_2D and FULLY_CONNECTED:
/// `out[row][n] = clamp(bias[n] + Σ_k a[row][k] · w[n][k])`.
///
/// Weights are packed once, at prepare, into panels of output channels — `[panel][k][lane]`,
/// zero-padded past the last channel, 8 or 16 lanes wide for the instruction set in use
/// (`KernelISA`) — so the micro-kernel streams one panel while holding a 4-row tile of
/// accumulators in registers; bias and the activation clamp are applied to the tile before it
/// is stored.
package final class PackedFloatWeights {
    let isa: KernelISA
    let k: Int
    let n: Int
    let panels: Int
    let data: AlignedBuffer<Float>
    /// Bias per output channel, zero-padded to whole panels.
    let bias: AlignedBuffer<Float>

    /// Packs `weights`, laid out `[n][k]` (OHWI filters and FULLY_CONNECTED weights both are).
    init(weights: UnsafeBufferPointer<Float>, n: Int, k: Int, bias: UnsafeBufferPointer<Float>?, isa: KernelISA = .current) {
        self.isa = isa
        self.k = k
        self.n = n
        let width = isa.panelWidth
        panels = (n + width - 1) / width
        data = packPanels(n: n, k: k, width: width) { channel, i in weights[channel * k + i] }
        self.bias = AlignedBuffer(count: panels * width, repeating: 0)
        if let bias {
            for channel in 0..<n { self.bias.pointer[channel] = bias[channel] }
        }
    }

    /// Bytes of one panel's weights per step of k.
    var panelBytesPerStep: Int { isa.panelWidth * 4 }

    /// Rows one `multiply` call takes: 8 with AVX-512, else 4.
    var tileRows: Int { isa >= .avx512 ? wideTileRows : gemmTileRows }

    /// Computes `rows` (1…`tileRows`) rows of output from rows of `a` (`k` values each, `aStride`
    /// apart) into `out` (rows `outStride` apart), each clamped value then put through
    /// `epilogue` (its addend laid out as `out`).
    /// `panels` limits the call to those output panels (default all).
    @inline(__always)
    /// `blockStride`: at AVX-512 only, the output in blocks of 16 channels (`ChannelBlocked`:
    /// panel p's rows at `whole + p · blockStride`, `outStride` apart — 16), no residual addend.
    func multiply(rows: Int, a: UnsafePointer<Float>, aStride: Int, out whole: UnsafeMutablePointer<Float>, outStride: Int,
                  minimum: Float, maximum: Float, panels range: Range<Int>? = nil, epilogue: FloatGEMMEpilogue = .none, blockStride: Int? = nil) {
        let first = range?.lowerBound ?? 0, count = range?.count ?? panels
        let width = isa.panelWidth, column = first * width
        let p = FloatGEMMPanels(k: k, n: min(n - column, count * width), panels: count,
                                weights: UnsafeRawPointer(data.pointer + first * k * width), bias: UnsafeRawPointer(bias.pointer + column),
                                minimum: minimum, maximum: maximum)
        let out = whole + column
        switch isa {
        case .avx512, .avx512vnni:
            #if arch(x86_64)
            if let blockStride {
                MicrokernelsAVX512.InstructionSetKernels.floatRowsWide(p, rows: rows, a: a, aStride: aStride, out: whole + first * blockStride,
                                                                      outStride: outStride, panelStride: blockStride, epilogue: epilogue)
                return
            }
            var shifted = epilogue
            shifted.addend = epilogue.addend.map { $0 + column }
            MicrokernelsAVX512.InstructionSetKernels.floatRowsWide(p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride,
                                                                  epilogue: shifted)
            return
            #endif
        case .avx2: MicrokernelsAVX2.InstructionSetKernels.floatRows(p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride)
        case .baseline:
            floatGEMMRows(SIMD8<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride,
                          fused: KernelISA.baselineFuses)
        }
        guard !epilogue.isEmpty, p.n > 0 else { return }
        // The narrower levels apply the epilogue as the ops' own loops, over the stored runs:
        // one when the rows are contiguous, else one per row.
        let (runs, runLength, runStride) = outStride == p.n ? (1, rows * p.n, 0) : (rows, p.n, outStride)
        for run in 0..<runs {
            let o = out + run * runStride, value = UnsafePointer(o)
            if epilogue.hardSwish { isa.hardSwish(value, o, count: runLength) }
            if let addend = epilogue.addend {
                let other = addend + column + run * runStride
                isa.floatBinary(.add, epilogue.addendFirst ? other : value, contiguous: true, epilogue.addendFirst ? value : other, contiguous: true,
                                o, count: runLength, minimum: epilogue.minimum, maximum: epilogue.maximum)
            }
        }
    }
}

/// Weight bytes a 1×1 convolution keeps in cache while every row tile of a thread passes over
/// them (a block of panels; more panels than this are taken a block at a time).
let panelBlockBytes = 128 << 10

/// `[n][k]` weights (as `value(channel, i)` gives them) packed into the micro-kernels' panels,
/// `[panel][k][width]`, zero-padded past channel `n`.
func packPanels(n: Int, k: Int, width: Int, value: (_ channel: Int, _ i: Int) -> Float) -> AlignedBuffer<Float> {
    let panels = (n + width - 1) / width
    let data = AlignedBuffer<Float>(count: panels * k * width, repeating: 0)
    for channel in 0..<n {
        let panel = channel / width, lane = channel % width
        for i in 0..<k { data.pointer[(panel * k + i) * width + lane] = value(channel, i) }
    }
    return data
}

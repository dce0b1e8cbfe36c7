/// The float32 matrix multiply behind CONV_2D and FULLY_CONNECTED:
/// `out[row][n] = clamp(bias[n] + Σ_k a[row][k] · w[n][k])`.
///
/// Weights are packed once, at prepare, into panels of 8 output channels — `[panel][k][8]`,
/// zero-padded past the last channel — so the micro-kernel streams one panel while holding a
/// 4-row × 8-channel tile of accumulators in registers; bias and the activation clamp are
/// applied to the tile before it is stored.
package final class PackedFloatWeights {
    static let panelWidth = 8
    static let rowsPerTile = 4

    let k: Int
    let n: Int
    let panels: Int
    let data: AlignedBuffer<Float>
    /// Bias per output channel, zero-padded to whole panels.
    let bias: AlignedBuffer<Float>

    /// Packs `weights`, laid out `[n][k]` (OHWI filters and FULLY_CONNECTED weights both are).
    init(weights: UnsafeBufferPointer<Float>, n: Int, k: Int, bias: UnsafeBufferPointer<Float>?) {
        self.k = k
        self.n = n
        panels = (n + Self.panelWidth - 1) / Self.panelWidth
        data = AlignedBuffer(count: panels * k * Self.panelWidth, repeating: 0)
        for channel in 0..<n {
            let panel = channel / Self.panelWidth, lane = channel % Self.panelWidth
            for i in 0..<k {
                data.pointer[(panel * k + i) * Self.panelWidth + lane] = weights[channel * k + i]
            }
        }
        self.bias = AlignedBuffer(count: panels * Self.panelWidth, repeating: 0)
        if let bias {
            for channel in 0..<n { self.bias.pointer[channel] = bias[channel] }
        }
    }

    /// Computes up to 4 rows (`rows` = 1…4) of the output; `a` holds the row pointers (unused
    /// entries may repeat a valid row), `out` the first output row, `outStride` its row length.
    @inline(__always)
    func multiply(rows: Int, a0: UnsafePointer<Float>, a1: UnsafePointer<Float>, a2: UnsafePointer<Float>, a3: UnsafePointer<Float>,
                  out: UnsafeMutablePointer<Float>, outStride: Int, minimum: Float, maximum: Float) {
        let lo = SIMD8<Float>(repeating: minimum), hi = SIMD8<Float>(repeating: maximum)
        let k = self.k
        for panel in 0..<panels {
            let b = UnsafeRawPointer(data.pointer + panel * k * 8)
            let biasVector = UnsafeRawPointer(bias.pointer + panel * 8).load(as: SIMD8<Float>.self)
            var c0 = biasVector, c1 = biasVector, c2 = biasVector, c3 = biasVector
            var i = 0
            while i < k {
                let w = b.load(fromByteOffset: i &* 32, as: SIMD8<Float>.self)
                c0 += SIMD8(repeating: a0[i]) * w
                c1 += SIMD8(repeating: a1[i]) * w
                c2 += SIMD8(repeating: a2[i]) * w
                c3 += SIMD8(repeating: a3[i]) * w
                i &+= 1
            }
            let column = panel * 8
            let width = min(8, n - column)
            store(c0.clamped(lowerBound: lo, upperBound: hi), out + column, width)
            if rows > 1 { store(c1.clamped(lowerBound: lo, upperBound: hi), out + outStride + column, width) }
            if rows > 2 { store(c2.clamped(lowerBound: lo, upperBound: hi), out + 2 * outStride + column, width) }
            if rows > 3 { store(c3.clamped(lowerBound: lo, upperBound: hi), out + 3 * outStride + column, width) }
        }
    }

    @inline(__always)
    private func store(_ v: SIMD8<Float>, _ to: UnsafeMutablePointer<Float>, _ width: Int) {
        if width == 8 {
            UnsafeMutableRawPointer(to).storeBytes(of: v, as: SIMD8<Float>.self)
        } else {
            for lane in 0..<width { to[lane] = v[lane] }
        }
    }
}

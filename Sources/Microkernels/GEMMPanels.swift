/// Matrix-multiply micro-kernels, written once and compiled for several instruction sets.
///
/// Everything here is `@inlinable` and `@inline(__always)`: a module built for a wider
/// instruction set (MicrokernelsAVX2, MicrokernelsAVX512) calls these functions from its own
/// entry points, so their bodies are compiled there, with that module's target CPU. Ops picks
/// the entry points once, from the CPU it runs on (see `KernelISA` in Ops).
///
/// The weights are packed in panels of `V.scalarCount` output channels, `[panel][k][lane]`,
/// zero-padded past the last channel; a call computes up to `gemmTileRows` rows of output.

/// Rows of output one micro-kernel call computes.
@usableFromInline package let gemmTileRows = 4

/// The float32 operands of a packed matrix multiply (FLOAT32 CONV_2D and FULLY_CONNECTED).
@usableFromInline package struct FloatGEMMPanels {
    @usableFromInline package var k: Int
    @usableFromInline package var n: Int
    @usableFromInline package var panels: Int
    /// `[panel][k][lane]` weights.
    @usableFromInline package var weights: UnsafeRawPointer
    /// Bias per output channel, zero-padded to whole panels.
    @usableFromInline package var bias: UnsafeRawPointer
    @usableFromInline package var minimum: Float
    @usableFromInline package var maximum: Float

    @usableFromInline package init(k: Int, n: Int, panels: Int, weights: UnsafeRawPointer, bias: UnsafeRawPointer, minimum: Float, maximum: Float) {
        self.k = k; self.n = n; self.panels = panels
        self.weights = weights; self.bias = bias
        self.minimum = minimum; self.maximum = maximum
    }
}

/// What a float matrix multiply does to each clamped value before storing it — the fused ops
/// of a FLOAT32 CONV_2D, in this order: HARD_SWISH (`Microkernels.hardSwish`'s arithmetic), then
/// a residual ADD of `addend` (laid out as the output: the value for output row r, channel c at
/// `addend[r · outStride + c]`, the same offset from `addend` as the value's from `out`),
/// clamped to the ADD's [minimum, maximum] as `floatBinary` clamps.
@usableFromInline package struct FloatGEMMEpilogue {
    @usableFromInline package var hardSwish: Bool
    @usableFromInline package var addend: UnsafePointer<Float>?
    /// The ADD's first operand is the addend (else the multiply's value).
    @usableFromInline package var addendFirst: Bool
    @usableFromInline package var minimum: Float
    @usableFromInline package var maximum: Float

    @usableFromInline package init(hardSwish: Bool = false, addend: UnsafePointer<Float>? = nil, addendFirst: Bool = false,
                                   minimum: Float = -.infinity, maximum: Float = .infinity) {
        self.hardSwish = hardSwish; self.addend = addend; self.addendFirst = addendFirst
        self.minimum = minimum; self.maximum = maximum
    }

    /// Nothing after the clamp.
    @inlinable package static var none: FloatGEMMEpilogue { FloatGEMMEpilogue() }

    /// Whether there is anything to do.
    @inlinable package var isEmpty: Bool { !hardSwish && addend == nil }
}

/// The operands of an exact integer matrix multiply (INT8/UINT8 CONV_2D and FULLY_CONNECTED):
/// weights with their zero point removed, held as floats, Int32 bias, and the per-channel
/// fixed-point requantization (multiplier, shifts and rounding mask, all zero-padded to whole
/// panels).
@usableFromInline package struct IntegerGEMMPanels {
    @usableFromInline package var k: Int
    @usableFromInline package var n: Int
    @usableFromInline package var panels: Int
    @usableFromInline package var weights: UnsafeRawPointer
    @usableFromInline package var bias: UnsafePointer<Int32>
    @usableFromInline package var requantization: RequantizationVectors
    @usableFromInline package var outputZeroPoint: Int32
    @usableFromInline package var minimum: Int32
    @usableFromInline package var maximum: Int32

    @usableFromInline package init(k: Int, n: Int, panels: Int, weights: UnsafeRawPointer, bias: UnsafePointer<Int32>,
                 requantization: RequantizationVectors, outputZeroPoint: Int32, minimum: Int32, maximum: Int32) {
        self.k = k; self.n = n; self.panels = panels
        self.weights = weights; self.bias = bias; self.requantization = requantization
        self.outputZeroPoint = outputZeroPoint; self.minimum = minimum; self.maximum = maximum
    }
}

/// `out[r][c] = clamp(bias[c] + Σ_i a[r][i] · w[c][i])` for `rows` (1…4) rows of `a`, each
/// `aStride` floats apart. `fused` uses fused multiply-add (only where the CPU has it: without
/// hardware FMA it is a library call per lane).
@inlinable @inline(__always)
package func floatGEMMRows<V: KernelFloatVector>(_: V.Type, _ p: FloatGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                    out: UnsafeMutablePointer<Float>, outStride: Int, fused: Bool) {
    let width = V.scalarCount
    let a0 = a, a1 = a + (rows > 1 ? aStride : 0), a2 = a + (rows > 2 ? 2 &* aStride : 0), a3 = a + (rows > 3 ? 3 &* aStride : 0)
    let lo = V(repeating: p.minimum), hi = V(repeating: p.maximum)
    let k = p.k, panelBytes = k &* width &* 4
    for panel in 0..<p.panels {
        let b = p.weights + panel &* panelBytes
        let initial = p.bias.load(fromByteOffset: panel &* width &* 4, as: V.self)
        let (c0, c1, c2, c3) = panelProducts(V.self, b, a0, a1, a2, a3, 0..<k, initial, fused: fused)
        let column = panel &* width
        let count = min(width, p.n &- column)
        storeLanes(V.clamp(c0, lo, hi), out + column, count)
        if rows > 1 { storeLanes(V.clamp(c1, lo, hi), out + outStride + column, count) }
        if rows > 2 { storeLanes(V.clamp(c2, lo, hi), out + 2 &* outStride + column, count) }
        if rows > 3 { storeLanes(V.clamp(c3, lo, hi), out + 3 &* outStride + column, count) }
    }
}

/// Rows of output one wide micro-kernel call computes (the AVX-512 float tile, 8 × 32).
@usableFromInline package let wideTileRows = 8

/// `initial + Σ_{i ∈ range} a_r[i] · w[i]` for the 4 rows of a tile over one weight panel
/// (`w[i]` = the panel's `V` at step `i`): the inner loop of every matrix-multiply kernel.
@inlinable @inline(__always)
func panelProducts<V: KernelFloatVector>(_: V.Type, _ b: UnsafeRawPointer, _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>,
                                         _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>, _ range: Range<Int>, _ initial: V,
                                         fused: Bool) -> (V, V, V, V) {
    let stride = V.scalarCount &* 4
    var c0 = initial, c1 = initial, c2 = initial, c3 = initial
    var i = range.lowerBound
    while i < range.upperBound {
        let w = b.load(fromByteOffset: i &* stride, as: V.self)
        if fused {
            c0.addProduct(V(repeating: a0[i]), w)
            c1.addProduct(V(repeating: a1[i]), w)
            c2.addProduct(V(repeating: a2[i]), w)
            c3.addProduct(V(repeating: a3[i]), w)
        } else {
            c0 += V(repeating: a0[i]) * w
            c1 += V(repeating: a1[i]) * w
            c2 += V(repeating: a2[i]) * w
            c3 += V(repeating: a3[i]) * w
        }
        i &+= 1
    }
    return (c0, c1, c2, c3)
}

/// Stores the first `count` lanes of `v` at `to`.
@inlinable @inline(__always)
package func storeLanes<V: SIMD>(_ v: V, _ to: UnsafeMutablePointer<V.Scalar>, _ count: Int) {
    if count == V.scalarCount {
        UnsafeMutableRawPointer(to).storeBytes(of: v, as: V.self)
    } else {
        for lane in 0..<count { to[lane] = v[lane] }
    }
}

/// The largest number of products the integer kernels sum in float before moving the sum to
/// Int32: with zero points removed every product has magnitude ≤ 255 · 255, and 64 of them
/// stay below 2^22, where float holds every integer and `accumulateExactly` converts.
@usableFromInline package let exactProductChunk = 64

/// The exact Int32 accumulators of one panel for up to 4 rows:
/// `bias[c] + Σ_i a[r][i] · w[c][i]`, products summed exactly in float in chunks of
/// `exactProductChunk`.
@inlinable @inline(__always)
func integerPanel<V: KernelFloatVector>(_: V.Type, _ p: IntegerGEMMPanels, panel: Int, a0: UnsafePointer<Float>, a1: UnsafePointer<Float>,
                                        a2: UnsafePointer<Float>, a3: UnsafePointer<Float>, fused: Bool)
    -> (V.MaskStorage, V.MaskStorage, V.MaskStorage, V.MaskStorage) {
    let width = V.scalarCount
    let k = p.k
    let b = p.weights + panel &* k &* width &* 4
    let initial = UnsafeRawPointer(p.bias + panel &* width).loadUnaligned(as: V.MaskStorage.self)
    var c0 = initial, c1 = initial, c2 = initial, c3 = initial
    var start = 0
    while start < k {
        let end = min(start &+ exactProductChunk, k)
        let (f0, f1, f2, f3) = panelProducts(V.self, b, a0, a1, a2, a3, start..<end, V(), fused: fused)
        V.accumulateExactly(&c0, f0)
        V.accumulateExactly(&c1, f1)
        V.accumulateExactly(&c2, f2)
        V.accumulateExactly(&c3, f3)
        start = end
    }
    return (c0, c1, c2, c3)
}

/// The exact integer matrix multiply as TFLite's reference kernels compute it,
/// `acc = bias[c] + Σ_i a[r][i] · w[c][i]` in Int32, then requantized, offset by the output
/// zero point, clamped and narrowed. `a` holds zero-point-free inputs as floats (integers of
/// magnitude ≤ 255). `scratch` takes one tile of Int32 accumulators
/// (`gemmTileRows × V.scalarCount`).
@inlinable @inline(__always)
package func integerGEMMRows<V: KernelFloatVector, Output: FixedWidthInteger>(
    _: V.Type, _ p: IntegerGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
    out: UnsafeMutablePointer<Output>, outStride: Int, scratch: UnsafeMutablePointer<Int32>, fused: Bool
) {
    let width = V.scalarCount
    let a0 = a, a1 = a + (rows > 1 ? aStride : 0), a2 = a + (rows > 2 ? 2 &* aStride : 0), a3 = a + (rows > 3 ? 3 &* aStride : 0)
    let tile = UnsafeMutableRawPointer(scratch)
    for panel in 0..<p.panels {
        let (c0, c1, c2, c3) = integerPanel(V.self, p, panel: panel, a0: a0, a1: a1, a2: a2, a3: a3, fused: fused)
        tile.storeBytes(of: c0, as: V.MaskStorage.self)
        tile.storeBytes(of: c1, toByteOffset: width &* 4, as: V.MaskStorage.self)
        tile.storeBytes(of: c2, toByteOffset: 2 &* width &* 4, as: V.MaskStorage.self)
        tile.storeBytes(of: c3, toByteOffset: 3 &* width &* 4, as: V.MaskStorage.self)
        let column = panel &* width
        let count = min(width, p.n &- column)
        p.requantization.requantizeRows(scratch, rows: rows, accStride: width, channel: column, count: count,
                                        outputZeroPoint: p.outputZeroPoint, minimum: p.minimum, maximum: p.maximum,
                                        into: out + column, outStride: outStride)
    }
}

/// The exact Int32 accumulators alone, `out[r][c] = bias[c] + Σ_i a[r][i] · w[c][i]`, for
/// kernels that requantize differently (LiteRT's int8 FULLY_CONNECTED rounds in double).
@inlinable @inline(__always)
package func integerGEMMAccumulatorRows<V: KernelFloatVector>(_: V.Type, _ p: IntegerGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                                              out: UnsafeMutablePointer<Int32>, outStride: Int, fused: Bool) {
    let width = V.scalarCount
    let a0 = a, a1 = a + (rows > 1 ? aStride : 0), a2 = a + (rows > 2 ? 2 &* aStride : 0), a3 = a + (rows > 3 ? 3 &* aStride : 0)
    for panel in 0..<p.panels {
        let (c0, c1, c2, c3) = integerPanel(V.self, p, panel: panel, a0: a0, a1: a1, a2: a2, a3: a3, fused: fused)
        let column = panel &* width
        let count = min(width, p.n &- column)
        storeLanes(c0, out + column, count)
        if rows > 1 { storeLanes(c1, out + outStride + column, count) }
        if rows > 2 { storeLanes(c2, out + 2 &* outStride + column, count) }
        if rows > 3 { storeLanes(c3, out + 3 &* outStride + column, count) }
    }
}

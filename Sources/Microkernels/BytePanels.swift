/// The operands of an exact integer matrix multiply on 8-bit values (the AVX-512 VNNI
/// kernels, `vpdpbusd`): activations as unsigned bytes `a`, weights as signed bytes `b`, so
/// that TFLite's accumulator `bias[c] + Σ_k (x − x_zp)(w − w_zp)` is, in wrapping Int32
/// arithmetic,
///
///     Σ_k a·b  +  columnTerm[c]  −  bZeroPoint[c] · Σ_k a
///
/// with `a = x − aOffset` (x XOR 0x80 for INT8), `b = w − bOffset` (w − 128 for UINT8
/// weights), `a_zp`, `b_zp` the shifted zero points, and
/// `columnTerm[c] = bias[c] − a_zp · Σ_k b[c] + k · a_zp · b_zp[c]` computed at prepare.
///
/// Weights are packed `[panel][k / 4][16 lanes][4 bytes]`, zero-padded to a multiple of 4
/// along k and to whole 16-channel panels; activation rows are `groups · 4` bytes, zero-padded.
@usableFromInline package struct BytePanels {
    /// Groups of 4 along k (k rounded up to a multiple of 4, over 4).
    @usableFromInline package var groups: Int
    @usableFromInline package var n: Int
    @usableFromInline package var panels: Int
    @usableFromInline package var weights: UnsafeRawPointer
    /// Per channel, zero-padded to whole panels.
    @usableFromInline package var columnTerms: UnsafePointer<Int32>
    /// Per channel `b_zp[c]`, or nil when every weight zero point is 0 (row sums unused).
    @usableFromInline package var weightZeroPoints: UnsafePointer<Int32>?
    @usableFromInline package var requantization: RequantizationVectors
    @usableFromInline package var outputZeroPoint: Int32
    @usableFromInline package var minimum: Int32
    @usableFromInline package var maximum: Int32

    @usableFromInline package init(groups: Int, n: Int, panels: Int, weights: UnsafeRawPointer, columnTerms: UnsafePointer<Int32>,
                                   weightZeroPoints: UnsafePointer<Int32>?, requantization: RequantizationVectors,
                                   outputZeroPoint: Int32, minimum: Int32, maximum: Int32) {
        self.groups = groups; self.n = n; self.panels = panels
        self.weights = weights; self.columnTerms = columnTerms; self.weightZeroPoints = weightZeroPoints
        self.requantization = requantization
        self.outputZeroPoint = outputZeroPoint; self.minimum = minimum; self.maximum = maximum
    }

    /// Panels `first ..< first + count` alone (channels from `first · 16`).
    @inlinable @inline(__always)
    package func panels(_ first: Int, count: Int) -> BytePanels {
        let column = first &* 16
        return BytePanels(groups: groups, n: min(n &- column, count &* 16), panels: count, weights: weights + first &* groups &* 64,
                          columnTerms: columnTerms + column, weightZeroPoints: weightZeroPoints.map { $0 + column },
                          requantization: requantization.advanced(by: column), outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum)
    }
}

/// Rows one call of the byte kernels computes.
@usableFromInline package let byteTileRows = 8

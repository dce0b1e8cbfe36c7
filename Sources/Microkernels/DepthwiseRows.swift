/// Depthwise-convolution micro-kernels: one output row at a time, vectorised over channels,
/// all taps of a pixel accumulated in registers.
///
/// Rows are float rows of `channels` values per pixel, one channel per output channel (a depth
/// multiplier > 1 is expanded by the caller), so the same kernel serves float32 and, with
/// zero-point-free integer inputs held as floats, the exact integer convolution.

/// The horizontal geometry of a depthwise convolution row.
@usableFromInline package struct DepthwiseRowShape {
    /// Output channels computed: from each row pointer (advanced to the first of them) on.
    @usableFromInline package var channels: Int
    /// Values from one pixel to the next in the input rows, the filter rows and the output:
    /// `channels`, or more when the row computes a slice of the channels.
    @usableFromInline package var pixelStride: Int
    @usableFromInline package var inputWidth: Int
    @usableFromInline package var outputWidth: Int
    @usableFromInline package var filterWidth: Int
    @usableFromInline package var strideWidth: Int
    @usableFromInline package var dilationWidth: Int
    @usableFromInline package var padLeft: Int

    @usableFromInline package init(channels: Int, pixelStride: Int? = nil, inputWidth: Int, outputWidth: Int, filterWidth: Int, strideWidth: Int,
                                   dilationWidth: Int, padLeft: Int) {
        self.channels = channels; self.pixelStride = pixelStride ?? channels; self.inputWidth = inputWidth; self.outputWidth = outputWidth
        self.filterWidth = filterWidth; self.strideWidth = strideWidth; self.dilationWidth = dilationWidth; self.padLeft = padLeft
    }

    /// The filter columns whose input column lies inside the row, for output column `ox`,
    /// and the input column of filter column 0 (possibly outside the row).
    @inlinable @inline(__always)
    package func taps(_ ox: Int) -> (first: Int, end: Int, origin: Int) {
        let origin = ox &* strideWidth &- padLeft
        let first = origin >= 0 ? 0 : (dilationWidth &- 1 &- origin) / dilationWidth
        let room = inputWidth &- 1 &- origin
        let end = room < 0 ? 0 : min(filterWidth, room / dilationWidth &+ 1)
        return (first, max(first, end), origin)
    }
}

/// The input rows (already limited to those inside the input) and their filter rows.
@usableFromInline package struct DepthwiseRowInputs {
    @usableFromInline package var rows: UnsafePointer<UnsafePointer<Float>>
    @usableFromInline package var filters: UnsafePointer<UnsafePointer<Float>>
    @usableFromInline package var count: Int

    @usableFromInline package init(rows: UnsafePointer<UnsafePointer<Float>>, filters: UnsafePointer<UnsafePointer<Float>>, count: Int) {
        self.rows = rows; self.filters = filters; self.count = count
    }
}

/// Σ over the valid taps of pixel `ox` for channels `c ..< c + lanes`, on top of `initial`.
@inlinable @inline(__always)
func depthwiseSum<V: KernelFloatVector>(_: V.Type, _ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, ox: Int, channel c: Int,
                                        initial: V, fused: Bool) -> V {
    let (first, end, origin) = s.taps(ox)
    var acc = initial
    let channels = s.pixelStride
    for r in 0..<inputs.count {
        let row = UnsafeRawPointer(inputs.rows[r] + c), filter = UnsafeRawPointer(inputs.filters[r] + c)
        var kx = first
        while kx < end {
            let x = row.loadUnaligned(fromByteOffset: (origin &+ kx &* s.dilationWidth) &* channels &* 4, as: V.self)
            let w = filter.loadUnaligned(fromByteOffset: kx &* channels &* 4, as: V.self)
            if fused { acc.addProduct(x, w) } else { acc += x * w }
            kx &+= 1
        }
    }
    return acc
}

/// One float32 output row: `out[ox][c] = clamp(bias[c] + Σ taps)` for channels from
/// `firstChannel` (a multiple of `V.scalarCount`). Channels past the last whole vector run 8
/// (SIMD8) or 1 at a time.
@inlinable @inline(__always)
package func depthwiseFloatRow<V: KernelFloatVector>(_: V.Type, _ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, bias: UnsafePointer<Float>,
                                                     out: UnsafeMutablePointer<Float>, minimum: Float, maximum: Float, fused: Bool,
                                                     firstChannel: Int = 0) {
    let channels = s.channels, stride = s.pixelStride, width = V.scalarCount
    let whole = channels / width &* width
    let eights = (channels &- whole) / 8 &* 8 &+ whole
    let lo = V(repeating: minimum), hi = V(repeating: maximum)
    let lo8 = SIMD8<Float>(repeating: minimum), hi8 = SIMD8<Float>(repeating: maximum)
    // Nothing left (the wide kernels took every channel): no walk over the row's pixels (a
    // tenth of a 64-pixel row's time went to walking it with nothing to do).
    guard firstChannel < channels else { return }
    for ox in 0..<s.outputWidth {
        let o = UnsafeMutableRawPointer(out + ox &* stride)
        var c = firstChannel
        while c < whole {
            let initial = UnsafeRawPointer(bias + c).loadUnaligned(as: V.self)
            let acc = depthwiseSum(V.self, s, inputs, ox: ox, channel: c, initial: initial, fused: fused)
            o.storeBytes(of: V.clamp(acc, lo, hi), toByteOffset: c &* 4, as: V.self)
            c &+= width
        }
        while c < eights {
            let initial = UnsafeRawPointer(bias + c).loadUnaligned(as: SIMD8<Float>.self)
            let acc = depthwiseSum(SIMD8<Float>.self, s, inputs, ox: ox, channel: c, initial: initial, fused: fused)
            o.storeBytes(of: SIMD8<Float>.clamp(acc, lo8, hi8), toByteOffset: c &* 4, as: SIMD8<Float>.self)
            c &+= 8
        }
        while c < channels {
            let (first, end, origin) = s.taps(ox)
            var acc = bias[c]
            for r in 0..<inputs.count {
                for kx in first..<end {
                    acc += inputs.rows[r][(origin &+ kx &* s.dilationWidth) &* stride &+ c] * inputs.filters[r][kx &* stride &+ c]
                }
            }
            out[ox &* stride &+ c] = min(max(acc, minimum), maximum)
            c &+= 1
        }
    }
}

/// One row of exact integer accumulators: `acc[ox][c] = bias[c] + Σ taps`, the taps being
/// zero-point-free integers held as floats (products ≤ 255², so up to 64 taps sum exactly in
/// float). The caller splits filters with more than `exactProductChunk` taps. Channels from
/// `firstChannel` (a multiple of `V.scalarCount`).
@inlinable @inline(__always)
package func depthwiseIntegerRow<V: KernelFloatVector>(_: V.Type, _ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs,
                                                       acc: UnsafeMutablePointer<Int32>, fused: Bool, firstChannel: Int = 0) {
    let channels = s.channels, stride = s.pixelStride, width = V.scalarCount
    let whole = channels / width &* width
    let eights = (channels &- whole) / 8 &* 8 &+ whole
    guard firstChannel < channels else { return }
    for ox in 0..<s.outputWidth {
        let o = UnsafeMutableRawPointer(acc + ox &* stride)
        var c = firstChannel
        while c < whole {
            var sum = o.loadUnaligned(fromByteOffset: c &* 4, as: V.MaskStorage.self)
            V.accumulateExactly(&sum, depthwiseSum(V.self, s, inputs, ox: ox, channel: c, initial: V(), fused: fused))
            o.storeBytes(of: sum, toByteOffset: c &* 4, as: V.MaskStorage.self)
            c &+= width
        }
        while c < eights {
            var sum = o.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Int32>.self)
            SIMD8<Float>.accumulateExactly(&sum, depthwiseSum(SIMD8<Float>.self, s, inputs, ox: ox, channel: c, initial: SIMD8<Float>(), fused: fused))
            o.storeBytes(of: sum, toByteOffset: c &* 4, as: SIMD8<Int32>.self)
            c &+= 8
        }
        while c < channels {
            let (first, end, origin) = s.taps(ox)
            var total: Float = 0
            for r in 0..<inputs.count {
                for kx in first..<end {
                    total += inputs.rows[r][(origin &+ kx &* s.dilationWidth) &* stride &+ c] * inputs.filters[r][kx &* stride &+ c]
                }
            }
            acc[ox &* stride &+ c] = acc[ox &* stride &+ c] &+ Int32(total)
            c &+= 1
        }
    }
}

/// Depthwise-convolution micro-kernels: one output row at a time, vectorised over channels,
/// all taps of a pixel accumulated in registers.
///
/// Rows are float rows of `channels` values per pixel, one channel per output channel (a depth
/// multiplier > 1 is expanded by the caller), so the same kernel serves float32 and, with
/// zero-point-free integer inputs held as floats, the exact integer convolution.

/// The horizontal geometry of a depthwise convolution row.
@usableFromInline package struct DepthwiseRowShape {
    /// Output channels: values per pixel in the input rows, the filter rows and the output.
    @usableFromInline package var channels: Int
    @usableFromInline package var inputWidth: Int
    @usableFromInline package var outputWidth: Int
    @usableFromInline package var filterWidth: Int
    @usableFromInline package var strideWidth: Int
    @usableFromInline package var dilationWidth: Int
    @usableFromInline package var padLeft: Int

    @usableFromInline package init(channels: Int, inputWidth: Int, outputWidth: Int, filterWidth: Int, strideWidth: Int,
                                   dilationWidth: Int, padLeft: Int) {
        self.channels = channels; self.inputWidth = inputWidth; self.outputWidth = outputWidth
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
    let channels = s.channels
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

/// The 3×3 case (three input rows, filter width 3, dilation 1), channels `0 ..< whole` in
/// vectors of `V`: channel-vector outer, pixels inner, so the nine filter vectors stay in
/// registers; pixels whose window leaves the row take the general sum. Hands each pixel's
/// `initial(c) + Σ taps` to `body(ox, c, sum)`.
@inlinable @inline(__always)
func depthwise3x3Rows<V: KernelFloatVector>(_: V.Type, _ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, whole: Int, fused: Bool,
                                            initial: (Int) -> V, body: (_ ox: Int, _ c: Int, _ sum: V) -> Void) {
    let channels = s.channels, bytes = channels &* 4
    let r0 = UnsafeRawPointer(inputs.rows[0]), r1 = UnsafeRawPointer(inputs.rows[1]), r2 = UnsafeRawPointer(inputs.rows[2])
    let f0 = UnsafeRawPointer(inputs.filters[0]), f1 = UnsafeRawPointer(inputs.filters[1]), f2 = UnsafeRawPointer(inputs.filters[2])
    var c = 0
    while c < whole {
        let o = c &* 4
        let w00 = f0.loadUnaligned(fromByteOffset: o, as: V.self), w01 = f0.loadUnaligned(fromByteOffset: o &+ bytes, as: V.self)
        let w02 = f0.loadUnaligned(fromByteOffset: o &+ 2 &* bytes, as: V.self)
        let w10 = f1.loadUnaligned(fromByteOffset: o, as: V.self), w11 = f1.loadUnaligned(fromByteOffset: o &+ bytes, as: V.self)
        let w12 = f1.loadUnaligned(fromByteOffset: o &+ 2 &* bytes, as: V.self)
        let w20 = f2.loadUnaligned(fromByteOffset: o, as: V.self), w21 = f2.loadUnaligned(fromByteOffset: o &+ bytes, as: V.self)
        let w22 = f2.loadUnaligned(fromByteOffset: o &+ 2 &* bytes, as: V.self)
        let start = initial(c)
        for ox in 0..<s.outputWidth {
            let (first, end, origin) = s.taps(ox)
            if first == 0 && end == 3 {
                let at = origin &* bytes &+ o
                var a = start, b = V(), d = V()
                if fused {
                    a.addProduct(r0.loadUnaligned(fromByteOffset: at, as: V.self), w00)
                    b.addProduct(r1.loadUnaligned(fromByteOffset: at, as: V.self), w10)
                    d.addProduct(r2.loadUnaligned(fromByteOffset: at, as: V.self), w20)
                    a.addProduct(r0.loadUnaligned(fromByteOffset: at &+ bytes, as: V.self), w01)
                    b.addProduct(r1.loadUnaligned(fromByteOffset: at &+ bytes, as: V.self), w11)
                    d.addProduct(r2.loadUnaligned(fromByteOffset: at &+ bytes, as: V.self), w21)
                    a.addProduct(r0.loadUnaligned(fromByteOffset: at &+ 2 &* bytes, as: V.self), w02)
                    b.addProduct(r1.loadUnaligned(fromByteOffset: at &+ 2 &* bytes, as: V.self), w12)
                    d.addProduct(r2.loadUnaligned(fromByteOffset: at &+ 2 &* bytes, as: V.self), w22)
                } else {
                    a += r0.loadUnaligned(fromByteOffset: at, as: V.self) * w00
                    b += r1.loadUnaligned(fromByteOffset: at, as: V.self) * w10
                    d += r2.loadUnaligned(fromByteOffset: at, as: V.self) * w20
                    a += r0.loadUnaligned(fromByteOffset: at &+ bytes, as: V.self) * w01
                    b += r1.loadUnaligned(fromByteOffset: at &+ bytes, as: V.self) * w11
                    d += r2.loadUnaligned(fromByteOffset: at &+ bytes, as: V.self) * w21
                    a += r0.loadUnaligned(fromByteOffset: at &+ 2 &* bytes, as: V.self) * w02
                    b += r1.loadUnaligned(fromByteOffset: at &+ 2 &* bytes, as: V.self) * w12
                    d += r2.loadUnaligned(fromByteOffset: at &+ 2 &* bytes, as: V.self) * w22
                }
                body(ox, c, a + b + d)
            } else {
                body(ox, c, depthwiseSum(V.self, s, inputs, ox: ox, channel: c, initial: start, fused: fused))
            }
        }
        c &+= V.scalarCount
    }
}

/// Whether `depthwise3x3Rows` applies.
@inlinable @inline(__always)
func isDepthwise3x3(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs) -> Bool {
    s.filterWidth == 3 && s.dilationWidth == 1 && inputs.count == 3
}

/// One float32 output row: `out[ox][c] = clamp(bias[c] + Σ taps)`. Channels past the last
/// whole vector run 8 (SIMD8) or 1 at a time.
@inlinable @inline(__always)
package func depthwiseFloatRow<V: KernelFloatVector>(_: V.Type, _ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, bias: UnsafePointer<Float>,
                                                     out: UnsafeMutablePointer<Float>, minimum: Float, maximum: Float, fused: Bool) {
    let channels = s.channels, width = V.scalarCount
    let whole = channels / width &* width
    let eights = (channels &- whole) / 8 &* 8 &+ whole
    let lo = V(repeating: minimum), hi = V(repeating: maximum)
    let lo8 = SIMD8<Float>(repeating: minimum), hi8 = SIMD8<Float>(repeating: maximum)
    let fast = isDepthwise3x3(s, inputs)
    if fast {
        depthwise3x3Rows(V.self, s, inputs, whole: whole, fused: fused, initial: { UnsafeRawPointer(bias + $0).loadUnaligned(as: V.self) }) { ox, c, sum in
            UnsafeMutableRawPointer(out + ox &* channels).storeBytes(of: V.clamp(sum, lo, hi), toByteOffset: c &* 4, as: V.self)
        }
    }
    for ox in 0..<s.outputWidth {
        let o = UnsafeMutableRawPointer(out + ox &* channels)
        var c = fast ? whole : 0
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
                    acc += inputs.rows[r][(origin &+ kx &* s.dilationWidth) &* channels &+ c] * inputs.filters[r][kx &* channels &+ c]
                }
            }
            out[ox &* channels &+ c] = min(max(acc, minimum), maximum)
            c &+= 1
        }
    }
}

/// One row of exact integer accumulators: `acc[ox][c] = bias[c] + Σ taps`, the taps being
/// zero-point-free integers held as floats (products ≤ 255², so up to 64 taps sum exactly in
/// float). The caller splits filters with more than `exactProductChunk` taps.
@inlinable @inline(__always)
package func depthwiseIntegerRow<V: KernelFloatVector>(_: V.Type, _ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs,
                                                       acc: UnsafeMutablePointer<Int32>, fused: Bool) {
    let channels = s.channels, width = V.scalarCount
    let whole = channels / width &* width
    let eights = (channels &- whole) / 8 &* 8 &+ whole
    let fast = isDepthwise3x3(s, inputs)
    if fast {
        depthwise3x3Rows(V.self, s, inputs, whole: whole, fused: fused, initial: { _ in V() }) { ox, c, sum in
            let o = UnsafeMutableRawPointer(acc + ox &* channels)
            var total = o.loadUnaligned(fromByteOffset: c &* 4, as: V.MaskStorage.self)
            V.accumulateExactly(&total, sum)
            o.storeBytes(of: total, toByteOffset: c &* 4, as: V.MaskStorage.self)
        }
    }
    for ox in 0..<s.outputWidth {
        let o = UnsafeMutableRawPointer(acc + ox &* channels)
        var c = fast ? whole : 0
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
                    total += inputs.rows[r][(origin &+ kx &* s.dilationWidth) &* channels &+ c] * inputs.filters[r][kx &* channels &+ c]
                }
            }
            acc[ox &* channels &+ c] = acc[ox &* channels &+ c] &+ Int32(total)
            c &+= 1
        }
    }
}

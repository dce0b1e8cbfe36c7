import Microkernels
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// The micro-kernels' entry points for one instruction-set level, 16 channels per panel.
///
/// This one file is compiled into two modules: MicrokernelsAVX2 (built with
/// `-target-cpu haswell`: AVX2 + FMA, 256-bit registers) and MicrokernelsAVX512 (a symbolic link
/// to this file, built with `-target-cpu skylake-avx512`: 512-bit registers). Ops names them
/// `MicrokernelsAVX2.InstructionSetKernels` and `MicrokernelsAVX512.InstructionSetKernels` and
/// calls each only when the CPU has that level.
package enum InstructionSetKernels {
    package static let panelWidth = 16

    package static func floatRows(_ p: FloatGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                  out: UnsafeMutablePointer<Float>, outStride: Int) {
        #if arch(x86_64) && !TFLITE_AVX512
        floatTiles4x16(p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride)
        #else
        floatGEMMRows(SIMD16<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, fused: true)
        #endif
    }


    package static func integerRows(_ p: IntegerGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                    out: UnsafeMutablePointer<Int8>, outStride: Int, scratch: UnsafeMutablePointer<Int32>) {
        integerGEMMRows(SIMD16<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, scratch: scratch, fused: true)
    }

    package static func integerRows(_ p: IntegerGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                    out: UnsafeMutablePointer<UInt8>, outStride: Int, scratch: UnsafeMutablePointer<Int32>) {
        integerGEMMRows(SIMD16<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, scratch: scratch, fused: true)
    }

    /// `hardSwish`: a fused HARD_SWISH (`Microkernels.hardSwish`) on every stored value — in
    /// registers at AVX-512 (every channel goes through its register loops), by the level's
    /// loop over the stored row otherwise.
    package static func depthwiseFloatRow(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, bias: UnsafePointer<Float>,
                                          out: UnsafeMutablePointer<Float>, minimum: Float, maximum: Float, hardSwish: Bool = false) {
        var first = 0
        #if TFLITE_AVX512
        let layout = PixelMajor(stride: s.pixelStride)
        first = hardSwish ? depthwiseFloatRows16(s, inputs, layout, bias: bias, out: out, minimum: minimum, maximum: maximum, HardSwishEpilogue())
                          : depthwiseFloatRows16(s, inputs, layout, bias: bias, out: out, minimum: minimum, maximum: maximum, NoEpilogue())
        #endif
        Microkernels.depthwiseFloatRow(SIMD16<Float>.self, s, inputs, bias: bias, out: out, minimum: minimum, maximum: maximum, fused: true,
                                       firstChannel: first)
        if hardSwish { Microkernels.hardSwishRow(out, s, firstChannel: first) }
    }

    /// `acc += Σ taps` for channels from `firstChannel` (a multiple of 16).
    package static func depthwiseIntegerRow(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, acc: UnsafeMutablePointer<Int32>,
                                            firstChannel: Int = 0) {
        var first = firstChannel
        #if TFLITE_AVX512
        if first == 0 { first = depthwiseIntegerRows16(s, inputs, acc: acc) }
        #endif
        Microkernels.depthwiseIntegerRow(SIMD16<Float>.self, s, inputs, acc: acc, fused: true, firstChannel: first)
    }

    /// Each channel's sum over `rows` rows (`Microkernels.sumRows`).
    package static func sumRows(_ input: UnsafePointer<Float>, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Float>) {
        Microkernels.sumRows(SIMD16<Float>.self, input, rows: rows, channels: channels, into: sums)
    }

    /// Each channel's sum over `rows` rows of INT8 (`signed`) or UINT8 values added into `sums`
    /// (`Microkernels.addByteRows`).
    package static func addByteRows(_ input: UnsafeRawPointer, signed: Bool, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Int32>) {
        #if TFLITE_AVX512
        addByteRows16(input, signed: signed, rows: rows, channels: channels, into: sums)
        #else
        if signed {
            Microkernels.addByteRows(input.assumingMemoryBound(to: Int8.self), rows: rows, channels: channels, into: sums)
        } else {
            Microkernels.addByteRows(input.assumingMemoryBound(to: UInt8.self), rows: rows, channels: channels, into: sums)
        }
        #endif
    }

    package static func floatBinary(_ operation: FloatBinaryOperation, _ x: UnsafePointer<Float>, contiguous xContiguous: Bool,
                                    _ y: UnsafePointer<Float>, contiguous yContiguous: Bool, _ out: UnsafeMutablePointer<Float>, count: Int,
                                    minimum: Float, maximum: Float) {
        #if TFLITE_AVX512
        floatBinary16(operation, x, contiguous: xContiguous, y, contiguous: yContiguous, out, count: count, minimum: minimum, maximum: maximum)
        #else
        Microkernels.floatBinary(operation, x, contiguous: xContiguous, y, contiguous: yContiguous, out, count: count, minimum: minimum, maximum: maximum)
        #endif
    }

    /// FLOAT32 HARD_SWISH (`Microkernels.hardSwish`); `output` may be `input`.
    package static func hardSwish(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        Microkernels.hardSwish(input, output, count: count)
    }

    package static func zeroPointFreeFloats(_ source: UnsafePointer<Int8>, count: Int, zeroPoint: Int32, into to: UnsafeMutablePointer<Float>) {
        #if TFLITE_AVX512
        zeroPointFreeFloats16(UnsafeRawPointer(source), signed: true, count: count, zeroPoint: zeroPoint, into: to)
        #else
        Microkernels.zeroPointFreeFloats(source, count: count, zeroPoint: zeroPoint, into: to)
        #endif
    }

    package static func zeroPointFreeFloats(_ source: UnsafePointer<UInt8>, count: Int, zeroPoint: Int32, into to: UnsafeMutablePointer<Float>) {
        #if TFLITE_AVX512
        zeroPointFreeFloats16(UnsafeRawPointer(source), signed: false, count: count, zeroPoint: zeroPoint, into: to)
        #else
        Microkernels.zeroPointFreeFloats(source, count: count, zeroPoint: zeroPoint, into: to)
        #endif
    }

    package static func requantizeRows(_ r: RequantizationVectors, _ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int,
                                       outputZeroPoint: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutablePointer<Int8>) {
        r.requantizeRows(acc, rows: rows, accStride: stride, channel: 0, count: count, outputZeroPoint: outputZeroPoint,
                         minimum: minimum, maximum: maximum, into: out, outStride: stride)
    }

    package static func requantizeRows(_ r: RequantizationVectors, _ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int,
                                       outputZeroPoint: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutablePointer<UInt8>) {
        r.requantizeRows(acc, rows: rows, accStride: stride, channel: 0, count: count, outputZeroPoint: outputZeroPoint,
                         minimum: minimum, maximum: maximum, into: out, outStride: stride)
    }

    package static func integerAccumulatorRows(_ p: IntegerGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                               out: UnsafeMutablePointer<Int32>, outStride: Int) {
        integerGEMMAccumulatorRows(SIMD16<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, fused: true)
    }
}

#if TFLITE_AVX512
/// The depthwise rows on AVX-512, written with the intrinsics (the generic SIMD16 code was
/// partly scalarised by the optimizer here), channel vector outer, pixels inner; for 3×3 the
/// nine filter vectors (5×5: 25) stay in registers across a row's pixels, edge pixels and
/// rows near a padded image's top and bottom included.
extension InstructionSetKernels {

    /// `floatBinary` at AVX-512, written with the intrinsics: the generic loop, which may not
    /// assume `out` apart from `x` and `y`, checked their overlap at run time and went one
    /// value at a time when `out` is `x` (a residual ADD fused into a convolution adds in
    /// place). The clamp is the reference's `std::min(std::max(v, lo), hi)`: NaN stays NaN, and
    /// a zero of either sign equal to a bound stays as it is.
    @inline(__always)
    static func floatBinary16(_ operation: FloatBinaryOperation, _ x: UnsafePointer<Float>, contiguous xContiguous: Bool,
                              _ y: UnsafePointer<Float>, contiguous yContiguous: Bool, _ out: UnsafeMutablePointer<Float>, count: Int,
                              minimum: Float, maximum: Float) {
        let lo = _mm512_set1_ps(minimum), hi = _mm512_set1_ps(maximum)
        let xValue = _mm512_set1_ps(count > 0 && !xContiguous ? x[0] : 0), yValue = _mm512_set1_ps(count > 0 && !yContiguous ? y[0] : 0)
        @inline(__always) func run(_ f: (__m512, __m512) -> __m512) {
            @inline(__always) func step(_ i: Int, _ mask: __mmask16) {
                let a = xContiguous ? _mm512_maskz_loadu_ps(mask, x + i) : xValue
                let b = yContiguous ? _mm512_maskz_loadu_ps(mask, y + i) : yValue
                _mm512_mask_storeu_ps(out + i, mask, _mm512_min_ps(hi, _mm512_max_ps(lo, f(a, b))))
            }
            var i = 0
            while i &+ 32 <= count {
                step(i, 0xFFFF); step(i &+ 16, 0xFFFF)
                i &+= 32
            }
            while i < count {
                step(i, laneMask(min(16, count &- i)))
                i &+= 16
            }
        }
        switch operation {
        case .add: run { _mm512_add_ps($0, $1) }
        case .sub: run { _mm512_sub_ps($0, $1) }
        case .mul: run { _mm512_mul_ps($0, $1) }
        }
    }

    /// The zero-point-free floats of an NHWC row of `width` pixels × `channels` (signed or
    /// unsigned bytes), in blocks of 16 channels (`ChannelBlocked`): block b's pixel x at
    /// `to + b · blockStride + x · 16`. A last block of fewer channels is padded with lanes
    /// that the sums compute and nothing stores.
    package static func zeroPointFreeBlockedFloats(_ source: UnsafeRawPointer, signed: Bool, width: Int, channels: Int, zeroPoint: Int32,
                                                   into to: UnsafeMutablePointer<Float>, blockStride: Int) {
        let z = _mm512_set1_epi32(zeroPoint)
        blockRow(width: width, channels: channels, into: to, blockStride: blockStride) { i, mask in
            zeroPointFree(_mm_maskz_loadu_epi8(mask, source + i), signed: signed, z)
        }
    }

    /// 16 bytes (signed or unsigned) less the zero point `z`, as floats.
    @inline(__always)
    static func zeroPointFree(_ bytes: __m128i, signed: Bool, _ z: __m512i) -> __m512 {
        _mm512_cvtepi32_ps(_mm512_sub_epi32(signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes), z))
    }

    /// A float NHWC row of `width` pixels × `channels` copied in blocks of 16 channels
    /// (`ChannelBlocked`), a last block's lanes past the channels zeros.
    package static func blockedFloats(_ source: UnsafePointer<Float>, width: Int, channels: Int, into to: UnsafeMutablePointer<Float>,
                                      blockStride: Int) {
        blockRow(width: width, channels: channels, into: to, blockStride: blockStride) { i, mask in _mm512_maskz_loadu_ps(mask, source + i) }
    }

    /// Stores `load(i, mask)` — the 16 channels from value i of the NHWC row, `mask` their
    /// lanes inside the row — for every pixel and block of 16 channels, in blocks.
    @inline(__always)
    static func blockRow(width: Int, channels: Int, into to: UnsafeMutablePointer<Float>, blockStride: Int,
                         _ load: (_ i: Int, _ mask: __mmask16) -> __m512) {
        let whole = channels / 16 &* 16, rest = laneMask(channels &- whole)
        var pixel = 0, column = to
        for _ in 0..<width {
            var c = 0, block = column
            while c < whole {
                _mm512_storeu_ps(block, load(pixel &+ c, 0xFFFF))
                c &+= 16
                block += blockStride
            }
            if c < channels { _mm512_storeu_ps(block, load(pixel &+ c, rest)) }
            pixel &+= channels
            column += 16
        }
    }

    /// `depthwiseFloatRow` for input rows in blocks of 16 channels, `blockStride` values apart
    /// (`ChannelBlocked`; the layout a 3×3 or 5×5 pass at stride 2 keeps its addresses in
    /// registers with).
    package static func depthwiseBlockedFloatRow(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, blockStride: Int, bias: UnsafePointer<Float>,
                                                 out: UnsafeMutablePointer<Float>, minimum: Float, maximum: Float, hardSwish: Bool) {
        let layout = ChannelBlocked(blockStride: blockStride)
        _ = hardSwish ? depthwiseFloatRows16(s, inputs, layout, bias: bias, out: out, minimum: minimum, maximum: maximum, HardSwishEpilogue())
                      : depthwiseFloatRows16(s, inputs, layout, bias: bias, out: out, minimum: minimum, maximum: maximum, NoEpilogue())
    }

    /// `addByteRows` 16 channels per vector (sign- or zero-extended to 32-bit lanes), four
    /// vectors at a time, the last channels as masked lanes.
    @inline(__always)
    static func addByteRows16(_ input: UnsafeRawPointer, signed: Bool, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Int32>) {
        @inline(__always) func widen(_ bytes: __m128i) -> __m512i { signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes) }
        var c = 0
        while c &+ 64 <= channels {
            let out = UnsafeMutableRawPointer(sums + c)
            var s0 = _mm512_loadu_si512(out), s1 = _mm512_loadu_si512(out + 64), s2 = _mm512_loadu_si512(out + 128), s3 = _mm512_loadu_si512(out + 192)
            var row = input + c
            for _ in 0..<rows {
                s0 = _mm512_add_epi32(s0, widen(row.loadUnaligned(as: __m128i.self)))
                s1 = _mm512_add_epi32(s1, widen(row.loadUnaligned(fromByteOffset: 16, as: __m128i.self)))
                s2 = _mm512_add_epi32(s2, widen(row.loadUnaligned(fromByteOffset: 32, as: __m128i.self)))
                s3 = _mm512_add_epi32(s3, widen(row.loadUnaligned(fromByteOffset: 48, as: __m128i.self)))
                row += channels
            }
            _mm512_storeu_si512(out, s0); _mm512_storeu_si512(out + 64, s1); _mm512_storeu_si512(out + 128, s2); _mm512_storeu_si512(out + 192, s3)
            c &+= 64
        }
        while c < channels {
            let mask = laneMask(channels &- c)
            var s = _mm512_maskz_loadu_epi32(mask, sums + c)
            var row = input + c
            for _ in 0..<rows {
                s = _mm512_add_epi32(s, widen(_mm_maskz_loadu_epi8(mask, row)))
                row += channels
            }
            _mm512_mask_storeu_epi32(sums + c, mask, s)
            c &+= 16
        }
    }

    /// `zeroPointFreeFloats` 16 lanes at a time, four vectors per step (the compiler's own
    /// loop for this level uses 8-lane registers: it prefers 256-bit vectors on these CPUs).
    @inline(__always)
    static func zeroPointFreeFloats16(_ source: UnsafeRawPointer, signed: Bool, count: Int, zeroPoint: Int32, into to: UnsafeMutablePointer<Float>) {
        let z = _mm512_set1_epi32(zeroPoint)
        @inline(__always) func convert(_ i: Int, _ mask: __mmask16) {
            _mm512_mask_storeu_ps(to + i, mask, zeroPointFree(_mm_maskz_loadu_epi8(mask, source + i), signed: signed, z))
        }
        var i = 0
        while i &+ 64 <= count {
            convert(i, 0xFFFF); convert(i &+ 16, 0xFFFF); convert(i &+ 32, 0xFFFF); convert(i &+ 48, 0xFFFF)
            i &+= 64
        }
        while i < count {
            convert(i, laneMask(min(16, count &- i)))
            i &+= 16
        }
    }

    /// The first `count` (0…16) lanes.
    @inline(__always)
    package static func laneMask(_ count: Int) -> __mmask16 {
        __mmask16(truncatingIfNeeded: (UInt32(1) << UInt32(count)) &- 1)
    }

    /// The float matrix multiply at AVX-512 (32 registers): up to 8 rows × 2 panels (32 channels) in 16
    /// accumulators, `bias + Σ a·w` clamped to [minimum, maximum] and stored with lane masks —
    /// the epilogue written with the intrinsics, since the generic `SIMD16` clamp and partial
    /// store were rebuilt lane by lane (128-bit inserts) and cost more than the whole k loop for
    /// small k. Rows past `rows` repeat row 0: computed, never stored.
    /// `epilogue` is applied in registers before each store (one specialization per kind, so
    /// the plain multiply does no more than before).
    /// `panelStride`: values from one panel's output to the next's (16: the channels of a row
    /// side by side; more: rows in blocks of 16 channels, `ChannelBlocked`, with `outStride` 16).
    package static func floatRowsWide(_ p: FloatGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                      out: UnsafeMutablePointer<Float>, outStride: Int, panelStride: Int = 16,
                                      epilogue: FloatGEMMEpilogue = .none) {
        if let addend = epilogue.addend {
            let add = ResidualEpilogue(addend: addend, addendFirst: epilogue.addendFirst,
                                       minimum: _mm512_set1_ps(epilogue.minimum), maximum: _mm512_set1_ps(epilogue.maximum))
            if epilogue.hardSwish {
                floatRowsWide(p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, panelStride: panelStride,
                              ThenAdd(first: HardSwishEpilogue(), add: add))
            } else {
                floatRowsWide(p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, panelStride: panelStride,
                              ThenAdd(first: NoEpilogue(), add: add))
            }
        } else if epilogue.hardSwish {
            floatRowsWide(p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, panelStride: panelStride, HardSwishEpilogue())
        } else {
            floatRowsWide(p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, panelStride: panelStride, NoEpilogue())
        }
    }

    /// What `floatRowsWide` does to a clamped vector of output before storing it (`offset`: the
    /// vector's element offset from `out`; `mask`: the lanes stored).
    protocol WideEpilogue {
        func apply(_ v: __m512, offset: Int, mask: __mmask16) -> __m512
    }

    struct NoEpilogue: WideEpilogue {
        @inline(__always) func apply(_ v: __m512, offset: Int, mask: __mmask16) -> __m512 { v }
    }

    /// HARD_SWISH with `Microkernels.hardSwish`'s arithmetic, `x · min(6, max(0, x + 3)) · (1/6)`:
    /// Swift's `min(6, m)` (`m < 6 ? m : 6`) is `vminps(m, 6)` exactly; its `max(0, t)`
    /// (`t >= 0 ? t : 0`) is `vmaxps(0, t)` but for a NaN `t`, kept here where Swift gives 0 —
    /// `t` is NaN only when `x` is, and then either product is `x`'s NaN, quieted.
    struct HardSwishEpilogue: WideEpilogue {
        @inline(__always) func apply(_ x: __m512, offset: Int, mask: __mmask16) -> __m512 {
            let t = _mm512_add_ps(x, _mm512_set1_ps(3))
            let c = _mm512_min_ps(_mm512_max_ps(_mm512_setzero_ps(), t), _mm512_set1_ps(6))
            return _mm512_mul_ps(_mm512_mul_ps(x, c), _mm512_set1_ps(1 / 6 as Float))
        }
    }

    /// The residual ADD, `floatBinary16`'s arithmetic: the two values in the ADD's order,
    /// clamped as the reference clamps.
    struct ResidualEpilogue {
        let addend: UnsafePointer<Float>
        let addendFirst: Bool
        let minimum: __m512, maximum: __m512
    }

    /// `first`, then the residual ADD.
    struct ThenAdd<First: WideEpilogue>: WideEpilogue {
        let first: First
        let add: ResidualEpilogue
        @inline(__always) func apply(_ v: __m512, offset: Int, mask: __mmask16) -> __m512 {
            let value = first.apply(v, offset: offset, mask: mask)
            let other = _mm512_maskz_loadu_ps(mask, add.addend + offset)
            let sum = add.addendFirst ? _mm512_add_ps(other, value) : _mm512_add_ps(value, other)
            return _mm512_min_ps(add.maximum, _mm512_max_ps(add.minimum, sum))
        }
    }

    @inline(__always)
    static func floatRowsWide<E: WideEpilogue>(_ p: FloatGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                               out: UnsafeMutablePointer<Float>, outStride: Int, panelStride: Int, _ epilogue: E) {
        let a0 = a, a1 = rows > 1 ? a + aStride : a, a2 = rows > 2 ? a + 2 &* aStride : a, a3 = rows > 3 ? a + 3 &* aStride : a
        let a4 = rows > 4 ? a + 4 &* aStride : a, a5 = rows > 5 ? a + 5 &* aStride : a
        let a6 = rows > 6 ? a + 6 &* aStride : a, a7 = rows > 7 ? a + 7 &* aStride : a
        let lo = _mm512_set1_ps(p.minimum), hi = _mm512_set1_ps(p.maximum)
        let k = p.k
        let weights = p.weights.assumingMemoryBound(to: Float.self), bias = p.bias.assumingMemoryBound(to: Float.self)
        // `column`: the panel's first channel (a multiple of 16); its values go `panelStride`
        // per panel from `out`.
        @inline(__always) func store(_ c: __m512, _ row: Int, _ column: Int, _ mask: __mmask16) {
            guard row < rows else { return }
            let offset = row &* outStride &+ (column &>> 4) &* panelStride
            _mm512_mask_storeu_ps(out + offset, mask, epilogue.apply(_mm512_min_ps(hi, _mm512_max_ps(lo, c)), offset: offset, mask: mask))
        }
        var panel = 0
        if rows == 1 {
            // One row (FULLY_CONNECTED, 1×1 convolutions on a 1×1 image): four panels at a time
            // rather than eight rows of which seven would be thrown away; a last group of one to
            // three panels repeats its first (computed, never stored).
            while panel < p.panels {
                let column = panel &* 16, count = min(4, p.panels &- panel)
                let b0 = weights + column &* k
                let b1 = count > 1 ? b0 + 16 &* k : b0, b2 = count > 2 ? b0 + 32 &* k : b0, b3 = count > 3 ? b0 + 48 &* k : b0
                var c0 = _mm512_loadu_ps(bias + column)
                var c1 = count > 1 ? _mm512_loadu_ps(bias + (column &+ 16)) : c0, c2 = count > 2 ? _mm512_loadu_ps(bias + (column &+ 32)) : c0
                var c3 = count > 3 ? _mm512_loadu_ps(bias + (column &+ 48)) : c0
                var i = 0
                while i < k {
                    let x = _mm512_set1_ps(a0[i]), o = i &* 16
                    c0 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b0 + o), c0)
                    c1 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b1 + o), c1)
                    c2 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b2 + o), c2)
                    c3 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b3 + o), c3)
                    i &+= 1
                }
                store(c0, 0, column, laneMask(min(16, p.n &- column)))
                if count > 1 { store(c1, 0, column &+ 16, laneMask(min(16, p.n &- column &- 16))) }
                if count > 2 { store(c2, 0, column &+ 32, laneMask(min(16, p.n &- column &- 32))) }
                if count > 3 { store(c3, 0, column &+ 48, laneMask(min(16, p.n &- column &- 48))) }
                panel &+= 4
            }
            return
        }
        if rows > 1 && rows <= 4 {
            // Two to four rows (a 14×14 image's last four pixels): four panels at a time, where
            // the 8-row tile would compute eight rows — and on two threads the thread holding
            // this tile did a tile's work more than the other (25 tiles: 13 against 12).
            while panel &+ 4 <= p.panels {
                let column = panel &* 16
                let b = weights + column &* k
                let j0 = _mm512_loadu_ps(bias + column), j1 = _mm512_loadu_ps(bias + (column &+ 16))
                let j2 = _mm512_loadu_ps(bias + (column &+ 32)), j3 = _mm512_loadu_ps(bias + (column &+ 48))
                var c00 = j0, c01 = j1, c02 = j2, c03 = j3, c10 = j0, c11 = j1, c12 = j2, c13 = j3
                var c20 = j0, c21 = j1, c22 = j2, c23 = j3, c30 = j0, c31 = j1, c32 = j2, c33 = j3
                var i = 0
                while i < k {
                    let w = b + i &* 16
                    let w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16 &* k), w2 = _mm512_loadu_ps(w + 32 &* k), w3 = _mm512_loadu_ps(w + 48 &* k)
                    var x = _mm512_set1_ps(a0[i])
                    c00 = _mm512_fmadd_ps(x, w0, c00); c01 = _mm512_fmadd_ps(x, w1, c01); c02 = _mm512_fmadd_ps(x, w2, c02); c03 = _mm512_fmadd_ps(x, w3, c03)
                    x = _mm512_set1_ps(a1[i])
                    c10 = _mm512_fmadd_ps(x, w0, c10); c11 = _mm512_fmadd_ps(x, w1, c11); c12 = _mm512_fmadd_ps(x, w2, c12); c13 = _mm512_fmadd_ps(x, w3, c13)
                    x = _mm512_set1_ps(a2[i])
                    c20 = _mm512_fmadd_ps(x, w0, c20); c21 = _mm512_fmadd_ps(x, w1, c21); c22 = _mm512_fmadd_ps(x, w2, c22); c23 = _mm512_fmadd_ps(x, w3, c23)
                    x = _mm512_set1_ps(a3[i])
                    c30 = _mm512_fmadd_ps(x, w0, c30); c31 = _mm512_fmadd_ps(x, w1, c31); c32 = _mm512_fmadd_ps(x, w2, c32); c33 = _mm512_fmadd_ps(x, w3, c33)
                    i &+= 1
                }
                let m0 = laneMask(min(16, p.n &- column)), m1 = laneMask(min(16, p.n &- column &- 16))
                let m2 = laneMask(min(16, p.n &- column &- 32)), m3 = laneMask(min(16, p.n &- column &- 48))
                store(c00, 0, column, m0); store(c01, 0, column &+ 16, m1); store(c02, 0, column &+ 32, m2); store(c03, 0, column &+ 48, m3)
                store(c10, 1, column, m0); store(c11, 1, column &+ 16, m1); store(c12, 1, column &+ 32, m2); store(c13, 1, column &+ 48, m3)
                store(c20, 2, column, m0); store(c21, 2, column &+ 16, m1); store(c22, 2, column &+ 32, m2); store(c23, 2, column &+ 48, m3)
                store(c30, 3, column, m0); store(c31, 3, column &+ 16, m1); store(c32, 3, column &+ 32, m2); store(c33, 3, column &+ 48, m3)
                panel &+= 4
            }
        }
        while panel < p.panels {
            let column0 = panel &* 16
            let b0 = weights + column0 &* k
            let i0 = _mm512_loadu_ps(bias + column0)
            let mask0 = laneMask(min(16, p.n &- column0))
            if panel &+ 1 < p.panels {
                let b1 = b0 + 16 &* k, column1 = column0 &+ 16
                let i1 = _mm512_loadu_ps(bias + column1)
                let mask1 = laneMask(min(16, p.n &- column1))
                var c00 = i0, c10 = i0, c20 = i0, c30 = i0, c40 = i0, c50 = i0, c60 = i0, c70 = i0
                var c01 = i1, c11 = i1, c21 = i1, c31 = i1, c41 = i1, c51 = i1, c61 = i1, c71 = i1
                var i = 0
                while i < k {
                    let w0 = _mm512_loadu_ps(b0 + i &* 16), w1 = _mm512_loadu_ps(b1 + i &* 16)
                    var x = _mm512_set1_ps(a0[i]); c00 = _mm512_fmadd_ps(x, w0, c00); c01 = _mm512_fmadd_ps(x, w1, c01)
                    x = _mm512_set1_ps(a1[i]); c10 = _mm512_fmadd_ps(x, w0, c10); c11 = _mm512_fmadd_ps(x, w1, c11)
                    x = _mm512_set1_ps(a2[i]); c20 = _mm512_fmadd_ps(x, w0, c20); c21 = _mm512_fmadd_ps(x, w1, c21)
                    x = _mm512_set1_ps(a3[i]); c30 = _mm512_fmadd_ps(x, w0, c30); c31 = _mm512_fmadd_ps(x, w1, c31)
                    x = _mm512_set1_ps(a4[i]); c40 = _mm512_fmadd_ps(x, w0, c40); c41 = _mm512_fmadd_ps(x, w1, c41)
                    x = _mm512_set1_ps(a5[i]); c50 = _mm512_fmadd_ps(x, w0, c50); c51 = _mm512_fmadd_ps(x, w1, c51)
                    x = _mm512_set1_ps(a6[i]); c60 = _mm512_fmadd_ps(x, w0, c60); c61 = _mm512_fmadd_ps(x, w1, c61)
                    x = _mm512_set1_ps(a7[i]); c70 = _mm512_fmadd_ps(x, w0, c70); c71 = _mm512_fmadd_ps(x, w1, c71)
                    i &+= 1
                }
                store(c00, 0, column0, mask0); store(c10, 1, column0, mask0); store(c20, 2, column0, mask0); store(c30, 3, column0, mask0)
                store(c40, 4, column0, mask0); store(c50, 5, column0, mask0); store(c60, 6, column0, mask0); store(c70, 7, column0, mask0)
                store(c01, 0, column1, mask1); store(c11, 1, column1, mask1); store(c21, 2, column1, mask1); store(c31, 3, column1, mask1)
                store(c41, 4, column1, mask1); store(c51, 5, column1, mask1); store(c61, 6, column1, mask1); store(c71, 7, column1, mask1)
                panel &+= 2
            } else {
                var c0 = i0, c1 = i0, c2 = i0, c3 = i0, c4 = i0, c5 = i0, c6 = i0, c7 = i0
                var i = 0
                while i < k {
                    let w0 = _mm512_loadu_ps(b0 + i &* 16)
                    c0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[i]), w0, c0); c1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[i]), w0, c1)
                    c2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[i]), w0, c2); c3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[i]), w0, c3)
                    c4 = _mm512_fmadd_ps(_mm512_set1_ps(a4[i]), w0, c4); c5 = _mm512_fmadd_ps(_mm512_set1_ps(a5[i]), w0, c5)
                    c6 = _mm512_fmadd_ps(_mm512_set1_ps(a6[i]), w0, c6); c7 = _mm512_fmadd_ps(_mm512_set1_ps(a7[i]), w0, c7)
                    i &+= 1
                }
                store(c0, 0, column0, mask0); store(c1, 1, column0, mask0); store(c2, 2, column0, mask0); store(c3, 3, column0, mask0)
                store(c4, 4, column0, mask0); store(c5, 5, column0, mask0); store(c6, 6, column0, mask0); store(c7, 7, column0, mask0)
                panel &+= 1
            }
        }
    }

    /// Requantizes `rows` rows of `count` Int32 accumulators (rows `stride` apart, channel 0
    /// first) into 8-bit rows of `out` (also `stride` apart), 16 lanes at a time. The
    /// parameters must be padded to a multiple of 16 channels.
    package static func requantizeRows16(_ r: RequantizationVectors, _ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int,
                                         outputZeroPoint: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutableRawPointer,
                                         outStride: Int? = nil) {
        requantizeByteRows(r, acc, rows: rows, stride: stride, count: count, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum,
                           into: out, outStride: outStride ?? stride)
    }

    /// Quantized ADD or SUB of `count` 8-bit values as TFLite's reference computes them: each
    /// input plus its offset requantized by its own multiplier (`inputs`, left shift 20
    /// included), the two added (input 2 subtracted for SUB), the sum requantized by the
    /// output's, plus `outputOffset`, clamped; 16 lanes at a time. A side that is not
    /// `contiguous` is one value, repeated.
    package static func quantizedAdd(_ a: UnsafeRawPointer, contiguous aContiguous: Bool, _ b: UnsafeRawPointer, contiguous bContiguous: Bool,
                                     signed: Bool, count: Int, offsets: (Int32, Int32), inputs: (RequantizationVectors, RequantizationVectors),
                                     subtract: Bool, output: RequantizationVectors, outputOffset: Int32, minimum: Int32, maximum: Int32,
                                     into out: UnsafeMutableRawPointer) {
        let q1 = LaneRequantization(inputs.0, column: 0, outputZeroPoint: 0, minimum: 0, maximum: 0)
        let q2 = LaneRequantization(inputs.1, column: 0, outputZeroPoint: 0, minimum: 0, maximum: 0)
        let o1 = _mm512_set1_epi32(offsets.0), o2 = _mm512_set1_epi32(offsets.1)
        let fixed1 = aContiguous ? o1 : q1.requantize(byteValue(a, signed: signed, plus: o1))
        let fixed2 = bContiguous ? o2 : q2.requantize(byteValue(b, signed: signed, plus: o2))
        // The inputs' multipliers include the left shift of 20 (the integer form); the output's
        // is far below ½, so it takes the float form.
        @inline(__always) func run<Q: ByteRequantizer>(_: Q.Type) {
            let qo = Q(output, column: 0, outputZeroPoint: outputOffset, minimum: minimum, maximum: maximum)
            var i = 0
            while i < count {
                let n = min(16, count &- i)
                let s1 = aContiguous ? q1.requantize(byteValues(a + i, count: n, signed: signed, plus: o1)) : fixed1
                let s2 = bContiguous ? q2.requantize(byteValues(b + i, count: n, signed: signed, plus: o2)) : fixed2
                qo.store(subtract ? _mm512_sub_epi32(s1, s2) : _mm512_add_epi32(s1, s2), count: n, to: out + i)
                i &+= 16
            }
        }
        if output.fast { run(FloatLaneRequantization.self) } else { run(LaneRequantization.self) }
    }

    /// `quantizedAdd`'s outputs, bit for bit, from float arithmetic: ~16 vector instructions
    /// per 16 outputs where the three fixed-point multiplications take ~36. Only where the
    /// output's parameters are `fast` and `f` has passed prepare's error bound.
    ///
    /// Why it is exact. Each scaled input S = MultiplyByQuantizedMultiplierSmallerThanOneExp(
    /// x · 2^20, m, −r) is within 1 of σ = x · c (c = 2^20 · m / 2^(31+r)): the doubling high
    /// multiply and the rounding divide each round by at most ½ of their unit. The output of
    /// the sum R = S1 ± S2 is ⌊W + ½⌋, W = (R ± u/s)·s + z, the sign that of R, as in
    /// `FloatLaneRequantization` (s = m_out / 2^(31+r_out), u = 2^−(r_out+1)). The kernel
    /// computes W̃ = x1·k1 + x2·k2 + z in float, k = c·s (k2 negated for SUB): |W̃ − W| is at
    /// most 2s (from |R − σ1 ∓ σ2| ≤ 2) + u + the float rounding, which prepare bounds over
    /// every pair of input bytes by E ≤ δ/2 (u is ~2^−20: the output's right shift is ~19).
    /// W̃ − δ and W̃ + δ then round to one integer k only where W lies strictly between
    /// k − ½ and k + ½, and the output is k; the vectors with a lane where they round apart
    /// are redone in integers.
    package static func quantizedAddInFloat(_ a: UnsafeRawPointer, contiguous aContiguous: Bool, _ b: UnsafeRawPointer, contiguous bContiguous: Bool,
                                            signed: Bool, count: Int, offsets: (Int32, Int32), _ f: QuantizedAddFloats,
                                            inputs: (RequantizationVectors, RequantizationVectors), subtract: Bool, output: RequantizationVectors,
                                            outputOffset: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutableRawPointer) {
        let q1 = LaneRequantization(inputs.0, column: 0, outputZeroPoint: 0, minimum: 0, maximum: 0)
        let q2 = LaneRequantization(inputs.1, column: 0, outputZeroPoint: 0, minimum: 0, maximum: 0)
        let exact = LaneRequantization(output, column: 0, outputZeroPoint: outputOffset, minimum: minimum, maximum: maximum)
        let o1 = _mm512_set1_epi32(offsets.0), o2 = _mm512_set1_epi32(offsets.1)
        let k1 = _mm512_set1_ps(f.k1), k2 = _mm512_set1_ps(f.k2)
        let low = _mm512_set1_ps(f.low), high = _mm512_set1_ps(f.high)
        let lo = _mm512_set1_epi32(minimum), hi = _mm512_set1_epi32(maximum)
        // The INT8 range needs no clamp before a saturating narrowing.
        let wholeRange = signed && minimum == -128 && maximum == 127
        let fixed1 = aContiguous ? o1 : byteValue(a, signed: signed, plus: o1), fixed2 = bContiguous ? o2 : byteValue(b, signed: signed, plus: o2)
        var i = 0
        while i < count {
            let n = min(16, count &- i)
            let x1 = aContiguous ? byteValues(a + i, count: n, signed: signed, plus: o1) : fixed1
            let x2 = bContiguous ? byteValues(b + i, count: n, signed: signed, plus: o2) : fixed2
            let w = _mm512_fmadd_ps(_mm512_cvtepi32_ps(x1), k1, _mm512_mul_ps(_mm512_cvtepi32_ps(x2), k2))
            let l = _mm512_cvtps_epi32(_mm512_add_ps(w, low)), h = _mm512_cvtps_epi32(_mm512_add_ps(w, high))
            let differ = _mm512_xor_si512(l, h)
            if _mm512_test_epi32_mask(differ, differ) != 0 {
                let s1 = q1.requantize(x1), s2 = q2.requantize(x2)
                exact.store(subtract ? _mm512_sub_epi32(s1, s2) : _mm512_add_epi32(s1, s2), count: n, to: out + i)
            } else {
                let bytes = wholeRange ? _mm512_cvtsepi32_epi8(l) : narrowClamped(_mm512_min_epi32(_mm512_max_epi32(l, lo), hi), signed: minimum < 0)
                storeBytes(bytes, count: n, to: out + i)
            }
            i &+= 16
        }
    }

    /// Quantized MUL of `count` 8-bit values as TFLite's reference computes them: the product
    /// of the inputs plus their offsets, `MultiplyByQuantizedMultiplier` by the output's
    /// multiplier (`output`, 16 lanes alike), plus `outputOffset`, clamped; 16 lanes at a time,
    /// through the float requantizer where the multiplier allows it (`fast`: the products,
    /// at most 255² in magnitude, are exact floats). A side that is not `contiguous` is one
    /// value, repeated.
    package static func quantizedMul(_ a: UnsafeRawPointer, contiguous aContiguous: Bool, _ b: UnsafeRawPointer, contiguous bContiguous: Bool,
                                     signed: Bool, count: Int, offsets: (Int32, Int32), output: RequantizationVectors, outputOffset: Int32,
                                     minimum: Int32, maximum: Int32, into out: UnsafeMutableRawPointer) {
        let o1 = _mm512_set1_epi32(offsets.0), o2 = _mm512_set1_epi32(offsets.1)
        let fixed1 = aContiguous ? o1 : byteValue(a, signed: signed, plus: o1), fixed2 = bContiguous ? o2 : byteValue(b, signed: signed, plus: o2)
        @inline(__always) func run<Q: ByteRequantizer>(_: Q.Type) {
            let q = Q(output, column: 0, outputZeroPoint: outputOffset, minimum: minimum, maximum: maximum)
            var i = 0
            while i < count {
                let n = min(16, count &- i)
                let x1 = aContiguous ? byteValues(a + i, count: n, signed: signed, plus: o1) : fixed1
                let x2 = bContiguous ? byteValues(b + i, count: n, signed: signed, plus: o2) : fixed2
                q.store(_mm512_mullo_epi32(x1, x2), count: n, to: out + i)
                i &+= 16
            }
        }
        if output.fast { run(FloatLaneRequantization.self) } else { run(LaneRequantization.self) }
    }

    /// The first `count` (1 ... 16) bytes at `p` as Int32 lanes (signed or unsigned), plus `offset`.
    @inline(__always)
    static func byteValues(_ p: UnsafeRawPointer, count: Int, signed: Bool, plus offset: __m512i) -> __m512i {
        let bytes = count == 16 ? _mm_loadu_si128(p.assumingMemoryBound(to: __m128i.self)) : _mm_maskz_loadu_epi8(laneMask(count), p)
        return _mm512_add_epi32(signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes), offset)
    }

    /// The byte at `p` in every lane, plus `offset`.
    @inline(__always)
    static func byteValue(_ p: UnsafeRawPointer, signed: Bool, plus offset: __m512i) -> __m512i {
        let byte = p.load(as: UInt8.self)
        return _mm512_add_epi32(_mm512_set1_epi32(signed ? Int32(Int8(bitPattern: byte)) : Int32(byte)), offset)
    }

    /// One output row (`row` = batch · outputHeight + oy) of a direct float convolution, all
    /// panels: each pixel's taps are read straight from the input (scalar broadcasts) against
    /// the panel's weight vectors, which stay in L1 across the row.
    package static func directConvolutionRow(_ s: DirectConvolutionShape, input: UnsafePointer<Float>, row: Int, weights: UnsafePointer<Float>,
                                             bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, minimum: Float, maximum: Float) {
        let lo = _mm512_set1_ps(minimum), hi = _mm512_set1_ps(maximum)
        directConvolution(s, input: input, row: row, weights: weights, initial: { _mm512_loadu_ps(bias + $0) }, state: { _ in () },
                          value: { $0 }) { acc, pixel, column, mask, _ in
            _mm512_mask_storeu_ps(out + (pixel &* s.outputChannels &+ column), mask, _mm512_min_ps(hi, _mm512_max_ps(lo, acc)))
        }
    }

    /// The same for INT8 or UINT8 values, input and weights held as zero-point-free floats: the
    /// sums are exact integers (the caller keeps k · 255² below 2^24), moved to Int32, added to
    /// the bias, requantized in registers and stored as bytes.
    package static func directConvolutionRow(_ s: DirectConvolutionShape, input: UnsafePointer<Float>, row: Int, weights: UnsafePointer<Float>,
                                             bias: UnsafePointer<Int32>, _ r: RequantizationVectors, outputZeroPoint: Int32,
                                             minimum: Int32, maximum: Int32, out: UnsafeMutableRawPointer) {
        let zero = _mm512_setzero_ps()
        @inline(__always) func run<Q: ByteRequantizer>(_: Q.Type) {
            // The requantizer and the bias of a panel are made once per panel and pass over the
            // row (`state`), not for every store.
            directConvolution(s, input: input, row: row, weights: weights, initial: { _ in zero }, state: {
                (Q(r, column: $0, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum), _mm512_loadu_si512(bias + $0))
            }, value: { $0 }) { acc, pixel, column, mask, state in
                let (q, b) = state
                let total = _mm512_add_epi32(b, _mm512_cvtps_epi32(acc))
                q.store(total, count: min(16, s.outputChannels &- column), to: out + (pixel &* s.outputChannels &+ column))
            }
        }
        if r.fast { run(FloatLaneRequantization.self) } else { run(LaneRequantization.self) }
    }

    /// The direct convolution's loops: `store(acc, ox, firstChannel, laneMask, state(firstChannel))`
    /// per pixel and panel, `acc = initial(firstChannel) + Σ value(x) · w`; `state` is made once
    /// per panel and call.
    @inline(__always)
    static func directConvolution<In, State>(_ s: DirectConvolutionShape, input: UnsafePointer<In>, row: Int, weights: UnsafePointer<Float>,
                                             initial: (Int) -> __m512, state: (Int) -> State, value: (In) -> Float,
                                             store: (__m512, Int, Int, __mmask16, State) -> Void) {
        let oy = row % s.outputHeight, batch = row / s.outputHeight
        let channels = s.inputChannels, k = s.filterHeight &* s.filterWidth &* channels
        let panels = (s.outputChannels &+ 15) / 16
        let image = input + batch &* s.inputHeight &* s.inputWidth &* channels
        // Filter rows inside the input for this output row.
        let top = oy &* s.strideHeight &- s.padTop
        var firstRow = 0
        while firstRow < s.filterHeight && top &+ firstRow &* s.dilationHeight < 0 { firstRow &+= 1 }
        var endRow = s.filterHeight
        while endRow > firstRow && top &+ (endRow &- 1) &* s.dilationHeight >= s.inputHeight { endRow &-= 1 }
        let pixelStep = s.strideWidth &* channels
        // The pixels whose windows lie inside the row (same for every panel).
        var inside = 0..<0
        do {
            var first = 0
            while first < s.outputWidth && first &* s.strideWidth &- s.padLeft < 0 { first &+= 1 }
            var end = first
            while end < s.outputWidth && end &* s.strideWidth &- s.padLeft &+ (s.filterWidth &- 1) &* s.dilationWidth < s.inputWidth { end &+= 1 }
            inside = first..<end
        }
        // Pairs of panels, eight inside pixels at a time: 16 accumulator chains sharing each
        // weight load (dilation 1, so a filter row's taps are one run of the input row).
        var paired = 0
        if s.dilationWidth == 1 {
            let run = s.filterWidth &* channels
            while paired &+ 2 <= panels {
                let w0 = weights + paired &* k &* 16, w1 = w0 + k &* 16
                let column0 = paired &* 16, column1 = column0 &+ 16
                let i0 = initial(column0), i1 = initial(column1), s0 = state(column0), s1 = state(column1)
                let mask0 = laneMask(min(16, s.outputChannels &- column0)), mask1 = laneMask(min(16, s.outputChannels &- column1))
                var ox = inside.lowerBound
                // Eight pixels from `ox`, of which the first `count` (1…8) are stored: the rest
                // repeat the last of them (a row's last few inside pixels, which one by one
                // would each run one chain of multiply-adds, latency-bound).
                @inline(__always) func group(_ ox: Int, _ count: Int) {
                    let o1 = min(1, count &- 1) &* pixelStep, o2 = min(2, count &- 1) &* pixelStep, o3 = min(3, count &- 1) &* pixelStep
                    let o4 = min(4, count &- 1) &* pixelStep, o5 = min(5, count &- 1) &* pixelStep
                    let o6 = min(6, count &- 1) &* pixelStep, o7 = min(7, count &- 1) &* pixelStep
                    var c00 = i0, c10 = i0, c20 = i0, c30 = i0, c40 = i0, c50 = i0, c60 = i0, c70 = i0
                    var c01 = i1, c11 = i1, c21 = i1, c31 = i1, c41 = i1, c51 = i1, c61 = i1, c71 = i1
                    var ky = firstRow
                    while ky < endRow {
                        let x = image + ((top &+ ky &* s.dilationHeight) &* s.inputWidth &+ ox &* s.strideWidth &- s.padLeft) &* channels
                        let taps0 = w0 + ky &* run &* 16, taps1 = w1 + ky &* run &* 16
                        var j = 0
                        while j < run {
                            let v0 = _mm512_loadu_ps(taps0 + j &* 16), v1 = _mm512_loadu_ps(taps1 + j &* 16)
                            var b = _mm512_set1_ps(value(x[j])); c00 = _mm512_fmadd_ps(b, v0, c00); c01 = _mm512_fmadd_ps(b, v1, c01)
                            b = _mm512_set1_ps(value(x[o1 &+ j])); c10 = _mm512_fmadd_ps(b, v0, c10); c11 = _mm512_fmadd_ps(b, v1, c11)
                            b = _mm512_set1_ps(value(x[o2 &+ j])); c20 = _mm512_fmadd_ps(b, v0, c20); c21 = _mm512_fmadd_ps(b, v1, c21)
                            b = _mm512_set1_ps(value(x[o3 &+ j])); c30 = _mm512_fmadd_ps(b, v0, c30); c31 = _mm512_fmadd_ps(b, v1, c31)
                            b = _mm512_set1_ps(value(x[o4 &+ j])); c40 = _mm512_fmadd_ps(b, v0, c40); c41 = _mm512_fmadd_ps(b, v1, c41)
                            b = _mm512_set1_ps(value(x[o5 &+ j])); c50 = _mm512_fmadd_ps(b, v0, c50); c51 = _mm512_fmadd_ps(b, v1, c51)
                            b = _mm512_set1_ps(value(x[o6 &+ j])); c60 = _mm512_fmadd_ps(b, v0, c60); c61 = _mm512_fmadd_ps(b, v1, c61)
                            b = _mm512_set1_ps(value(x[o7 &+ j])); c70 = _mm512_fmadd_ps(b, v0, c70); c71 = _mm512_fmadd_ps(b, v1, c71)
                            j &+= 1
                        }
                        ky &+= 1
                    }
                    store(c00, ox, column0, mask0, s0); store(c01, ox, column1, mask1, s1)
                    if count > 1 { store(c10, ox &+ 1, column0, mask0, s0); store(c11, ox &+ 1, column1, mask1, s1) }
                    if count > 2 { store(c20, ox &+ 2, column0, mask0, s0); store(c21, ox &+ 2, column1, mask1, s1) }
                    if count > 3 { store(c30, ox &+ 3, column0, mask0, s0); store(c31, ox &+ 3, column1, mask1, s1) }
                    if count > 4 { store(c40, ox &+ 4, column0, mask0, s0); store(c41, ox &+ 4, column1, mask1, s1) }
                    if count > 5 { store(c50, ox &+ 5, column0, mask0, s0); store(c51, ox &+ 5, column1, mask1, s1) }
                    if count > 6 { store(c60, ox &+ 6, column0, mask0, s0); store(c61, ox &+ 6, column1, mask1, s1) }
                    if count > 7 { store(c70, ox &+ 7, column0, mask0, s0); store(c71, ox &+ 7, column1, mask1, s1) }
                }
                while ox < inside.upperBound {
                    let count = min(8, inside.upperBound &- ox)
                    group(ox, count)
                    ox &+= count
                }
                // The rest of the row, a panel at a time.
                directConvolutionPixels(s, image: image, top: top, rows: firstRow..<endRow, weights: w0, panel: paired,
                                        inside: inside, resumingAt: ox, initial: i0, state: s0, value: value, store: store)
                directConvolutionPixels(s, image: image, top: top, rows: firstRow..<endRow, weights: w1, panel: paired &+ 1,
                                        inside: inside, resumingAt: ox, initial: i1, state: s1, value: value, store: store)
                paired &+= 2
            }
        }
        // A last single panel (or dilated filters): eight inside pixels at a time (8 chains).
        for panel in paired..<panels {
            let w = weights + panel &* k &* 16, column = panel &* 16
            let i0 = initial(column), s0 = state(column), mask = laneMask(min(16, s.outputChannels &- column))
            var ox = inside.lowerBound
            if s.dilationWidth == 1 {
                let run = s.filterWidth &* channels
                // As `group` above, one panel.
                @inline(__always) func group(_ ox: Int, _ count: Int) {
                    let o1 = min(1, count &- 1) &* pixelStep, o2 = min(2, count &- 1) &* pixelStep, o3 = min(3, count &- 1) &* pixelStep
                    let o4 = min(4, count &- 1) &* pixelStep, o5 = min(5, count &- 1) &* pixelStep
                    let o6 = min(6, count &- 1) &* pixelStep, o7 = min(7, count &- 1) &* pixelStep
                    var c0 = i0, c1 = i0, c2 = i0, c3 = i0, c4 = i0, c5 = i0, c6 = i0, c7 = i0
                    var ky = firstRow
                    while ky < endRow {
                        let x = image + ((top &+ ky &* s.dilationHeight) &* s.inputWidth &+ ox &* s.strideWidth &- s.padLeft) &* channels
                        let taps = w + ky &* run &* 16
                        var j = 0
                        while j < run {
                            let v = _mm512_loadu_ps(taps + j &* 16)
                            c0 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[j])), v, c0)
                            c1 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[o1 &+ j])), v, c1)
                            c2 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[o2 &+ j])), v, c2)
                            c3 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[o3 &+ j])), v, c3)
                            c4 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[o4 &+ j])), v, c4)
                            c5 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[o5 &+ j])), v, c5)
                            c6 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[o6 &+ j])), v, c6)
                            c7 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[o7 &+ j])), v, c7)
                            j &+= 1
                        }
                        ky &+= 1
                    }
                    store(c0, ox, column, mask, s0)
                    if count > 1 { store(c1, ox &+ 1, column, mask, s0) }
                    if count > 2 { store(c2, ox &+ 2, column, mask, s0) }
                    if count > 3 { store(c3, ox &+ 3, column, mask, s0) }
                    if count > 4 { store(c4, ox &+ 4, column, mask, s0) }
                    if count > 5 { store(c5, ox &+ 5, column, mask, s0) }
                    if count > 6 { store(c6, ox &+ 6, column, mask, s0) }
                    if count > 7 { store(c7, ox &+ 7, column, mask, s0) }
                }
                while ox < inside.upperBound {
                    let count = min(8, inside.upperBound &- ox)
                    group(ox, count)
                    ox &+= count
                }
            }
            directConvolutionPixels(s, image: image, top: top, rows: firstRow..<endRow, weights: w, panel: panel,
                                    inside: inside, resumingAt: ox, initial: i0, state: s0, value: value, store: store)
        }
    }

    /// One panel's output pixels of a row not yet computed: those left of `inside` (the pixels
    /// whose windows lie inside the row) and those from `start` (≥ `inside.lowerBound`) on —
    /// four at a time within `inside`, else one by one.
    @inline(__always)
    static func directConvolutionPixels<In, State>(_ s: DirectConvolutionShape, image: UnsafePointer<In>, top: Int, rows: Range<Int>,
                                                   weights w: UnsafePointer<Float>, panel: Int, inside: Range<Int>, resumingAt start: Int,
                                                   initial: __m512, state: State, value: (In) -> Float,
                                                   store: (__m512, Int, Int, __mmask16, State) -> Void) {
        let channels = s.inputChannels
        let pixelStep = s.strideWidth &* channels
        let (firstRow, endRow) = (rows.lowerBound, rows.upperBound)
        let mask = laneMask(min(16, s.outputChannels &- panel &* 16))
        var ox = 0
        while ox < s.outputWidth {
            if ox == inside.lowerBound && ox < start {
                ox = start
                continue
            }
            let left = ox &* s.strideWidth &- s.padLeft
            // Four pixels whose windows lie inside the row: four accumulator chains sharing
            // each weight load.
            if ox >= inside.lowerBound && ox &+ 4 <= inside.upperBound {
                var a0 = initial, a1 = initial, a2 = initial, a3 = initial
                var ky = firstRow
                while ky < endRow {
                    let line = image + ((top &+ ky &* s.dilationHeight) &* s.inputWidth &+ left) &* channels
                    for kx in 0..<s.filterWidth {
                        let x = line + kx &* s.dilationWidth &* channels
                        let taps = w + (ky &* s.filterWidth &+ kx) &* channels &* 16
                        for c in 0..<channels {
                            let wv = _mm512_loadu_ps(taps + c &* 16)
                            a0 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[c])), wv, a0)
                            a1 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[pixelStep &+ c])), wv, a1)
                            a2 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[2 &* pixelStep &+ c])), wv, a2)
                            a3 = _mm512_fmadd_ps(_mm512_set1_ps(value(x[3 &* pixelStep &+ c])), wv, a3)
                        }
                    }
                    ky &+= 1
                }
                store(a0, ox, panel &* 16, mask, state)
                store(a1, ox &+ 1, panel &* 16, mask, state)
                store(a2, ox &+ 2, panel &* 16, mask, state)
                store(a3, ox &+ 3, panel &* 16, mask, state)
                ox &+= 4
                continue
            }
            var acc = initial
            var ky = firstRow
            while ky < endRow {
                let line = image + (top &+ ky &* s.dilationHeight) &* s.inputWidth &* channels
                for kx in 0..<s.filterWidth {
                    let ix = left &+ kx &* s.dilationWidth
                    if ix < 0 || ix >= s.inputWidth { continue }
                    let x = line + ix &* channels
                    let taps = w + (ky &* s.filterWidth &+ kx) &* channels &* 16
                    for c in 0..<channels {
                        acc = _mm512_fmadd_ps(_mm512_set1_ps(value(x[c])), _mm512_loadu_ps(taps + c &* 16), acc)
                    }
                }
                ky &+= 1
            }
            store(acc, ox, panel &* 16, mask, state)
            ox &+= 1
        }
    }

    /// Which of a channel vector's 16 lanes a depthwise pass reads and writes: all of them
    /// (plain loads, which fold into the multiply-adds), or the first few — the channels past
    /// the last whole vector, loaded and stored with a mask so that nothing past a row, a
    /// filter or the output is touched.
    protocol Lanes {
        func load(_ p: UnsafePointer<Float>) -> __m512
        var mask: __mmask16 { get }
        /// How many lanes: 16, or 1 ... 15 for the first ones.
        var count: Int { get }
    }

    struct AllLanes: Lanes {
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> __m512 { _mm512_loadu_ps(p) }
        var mask: __mmask16 { 0xFFFF }
        var count: Int { 16 }
    }

    struct FirstLanes: Lanes {
        let mask: __mmask16, count: Int
        init(count: Int) { self.count = count; mask = laneMask(count) }
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> __m512 { _mm512_maskz_loadu_ps(mask, p) }
    }

    /// A depthwise filter of 16 channels (`lanes` of them) held in registers (dilation 1), with
    /// the row pointers of the output row it is used for: the rows of the row's inputs (1 to
    /// `size` of them — an output row near the top or bottom of a padded image has fewer), each
    /// with its own filter row. Every sum adds the taps in the order the general `tapSum` does
    /// (input row by input row, left to right), so the values are the same bits.
    protocol RegisterFilter {
        associatedtype L: Lanes
        /// Taps per row, and the most rows.
        static var size: Int { get }
        /// `inputs.count` is 1 ... `size`.
        init(_ inputs: DepthwiseRowInputs, channel c: Int, channels: Int, lanes: L)
        /// `initial + Σ` over all taps, the top-left input of each row at `at`.
        func sum(at: Int, channels: Int, initial: __m512) -> __m512
        /// The sums of four neighbouring output pixels at stride `stride` (1 or 2, a constant
        /// once inlined), the first pixel's window at `at`: input columns shared by the four
        /// are loaded once, and the four chains of taps run side by side.
        func sum4(at: Int, stride: Int, channels: Int, initial: __m512) -> Quad
        /// `initial + Σ` over the taps `first ..< end` of each row (those inside the row: a pixel
        /// at the left or right edge of a padded row), tap 0 at `at` (which may lie outside).
        func clippedSum(at: Int, first: Int, end: Int, channels: Int, initial: __m512) -> __m512
    }

    typealias Quad = (__m512, __m512, __m512, __m512)

    /// Whether a register filter has all its rows (`AllRows`: the checks for a missing row fold
    /// away, and the row loop keeps its registers) or possibly fewer (`SomeRows`).
    protocol RowCount { static var all: Bool { get } }
    enum AllRows: RowCount { static var all: Bool { true } }
    enum SomeRows: RowCount { static var all: Bool { false } }

    /// 3×3: nine of the 32 vector registers.
    struct Filter3x3<L: Lanes, R: RowCount>: RegisterFilter {
        typealias Row = (__m512, __m512, __m512)
        static var size: Int { 3 }
        let w0: Row, w1: Row, w2: Row
        let r0: UnsafePointer<Float>, r1: UnsafePointer<Float>, r2: UnsafePointer<Float>
        let count: Int
        let lanes: L

        /// Whether the filter has row `r` (its rows are 0 ..< count).
        @inline(__always) func has(_ r: Int) -> Bool { R.all || count > r }

        @inline(__always)
        init(_ inputs: DepthwiseRowInputs, channel c: Int, channels: Int, lanes: L) {
            count = R.all ? Self.size : inputs.count
            @inline(__always) func row(_ r: Int) -> Row {
                guard R.all || r < inputs.count else { return (_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()) }
                let f = inputs.filters[r] + c
                return (lanes.load(f), lanes.load(f + channels), lanes.load(f + 2 &* channels))
            }
            w0 = row(0); w1 = row(1); w2 = row(2)
            r0 = inputs.rows[0]
            r1 = R.all || inputs.count > 1 ? inputs.rows[1] : r0
            r2 = R.all || inputs.count > 2 ? inputs.rows[2] : r0
            self.lanes = lanes
        }

        @inline(__always)
        func taps(_ x: UnsafePointer<Float>, _ w: Row, _ channels: Int, _ a: __m512) -> __m512 {
            let a = _mm512_fmadd_ps(lanes.load(x), w.0, a)
            return _mm512_fmadd_ps(lanes.load(x + 2 &* channels), w.2, _mm512_fmadd_ps(lanes.load(x + channels), w.1, a))
        }

        @inline(__always)
        func sum(at: Int, channels: Int, initial: __m512) -> __m512 {
            var a = taps(r0 + at, w0, channels, initial)
            if has(1) { a = taps(r1 + at, w1, channels, a) }
            return has(2) ? taps(r2 + at, w2, channels, a) : a
        }

        @inline(__always)
        func clippedSum(at: Int, first: Int, end: Int, channels: Int, initial: __m512) -> __m512 {
            @inline(__always) func tap(_ x: UnsafePointer<Float>, _ k: Int, _ weight: __m512, _ a: __m512) -> __m512 {
                first <= k && k < end ? _mm512_fmadd_ps(lanes.load(x + (at &+ k &* channels)), weight, a) : a
            }
            @inline(__always) func taps(_ x: UnsafePointer<Float>, _ w: Row, _ a: __m512) -> __m512 {
                tap(x, 2, w.2, tap(x, 1, w.1, tap(x, 0, w.0, a)))
            }
            var a = taps(r0, w0, initial)
            if has(1) { a = taps(r1, w1, a) }
            return has(2) ? taps(r2, w2, a) : a
        }

        /// One filter row's taps for four pixels: pixel j reads columns `stride·j ..< stride·j + 3`
        /// (with `stride` a constant once inlined, a column two pixels share is loaded once).
        @inline(__always)
        func taps4(_ x: UnsafePointer<Float>, _ w: Row, _ channels: Int, stride: Int, _ a: inout Quad) {
            @inline(__always) func column(_ n: Int) -> __m512 { lanes.load(x + n &* channels) }
            @inline(__always) func tap(_ k: Int, _ weight: __m512) {
                a.0 = _mm512_fmadd_ps(column(k), weight, a.0)
                a.1 = _mm512_fmadd_ps(column(stride &+ k), weight, a.1)
                a.2 = _mm512_fmadd_ps(column(2 &* stride &+ k), weight, a.2)
                a.3 = _mm512_fmadd_ps(column(3 &* stride &+ k), weight, a.3)
            }
            tap(0, w.0); tap(1, w.1); tap(2, w.2)
        }

        @inline(__always)
        func sum4(at: Int, stride: Int, channels: Int, initial: __m512) -> Quad {
            var a = (initial, initial, initial, initial)
            taps4(r0 + at, w0, channels, stride: stride, &a)
            if has(1) { taps4(r1 + at, w1, channels, stride: stride, &a) }
            if has(2) { taps4(r2 + at, w2, channels, stride: stride, &a) }
            return a
        }
    }

    /// 5×5 (MobileNetV3): 25 of the 32 vector registers.
    struct Filter5x5<L: Lanes, R: RowCount>: RegisterFilter {
        typealias Row = (__m512, __m512, __m512, __m512, __m512)
        static var size: Int { 5 }
        let w0: Row, w1: Row, w2: Row, w3: Row, w4: Row
        let rows: UnsafePointer<UnsafePointer<Float>>
        let count: Int
        let lanes: L

        /// Whether the filter has row `r` (its rows are 0 ..< count).
        @inline(__always) func has(_ r: Int) -> Bool { R.all || count > r }

        @inline(__always)
        init(_ inputs: DepthwiseRowInputs, channel c: Int, channels: Int, lanes: L) {
            count = R.all ? Self.size : inputs.count
            @inline(__always) func row(_ r: Int) -> Row {
                guard R.all || r < inputs.count else { let z = _mm512_setzero_ps(); return (z, z, z, z, z) }
                let f = inputs.filters[r] + c
                return (lanes.load(f), lanes.load(f + channels), lanes.load(f + 2 &* channels),
                        lanes.load(f + 3 &* channels), lanes.load(f + 4 &* channels))
            }
            w0 = row(0); w1 = row(1); w2 = row(2); w3 = row(3); w4 = row(4)
            rows = inputs.rows
            self.lanes = lanes
        }

        /// `a + Σ` over one row's five taps starting at `x`.
        @inline(__always)
        func taps(_ x: UnsafePointer<Float>, _ w: Row, _ channels: Int, _ a: __m512) -> __m512 {
            var a = _mm512_fmadd_ps(lanes.load(x), w.0, a)
            a = _mm512_fmadd_ps(lanes.load(x + channels), w.1, a)
            a = _mm512_fmadd_ps(lanes.load(x + 2 &* channels), w.2, a)
            a = _mm512_fmadd_ps(lanes.load(x + 3 &* channels), w.3, a)
            return _mm512_fmadd_ps(lanes.load(x + 4 &* channels), w.4, a)
        }

        @inline(__always)
        func sum(at: Int, channels: Int, initial: __m512) -> __m512 {
            var a = taps(rows[0] + at, w0, channels, initial)
            if has(1) { a = taps(rows[1] + at, w1, channels, a) }
            if has(2) { a = taps(rows[2] + at, w2, channels, a) }
            if has(3) { a = taps(rows[3] + at, w3, channels, a) }
            return has(4) ? taps(rows[4] + at, w4, channels, a) : a
        }

        @inline(__always)
        func clippedSum(at: Int, first: Int, end: Int, channels: Int, initial: __m512) -> __m512 {
            // Each helper returns the new sum rather than updating a captured variable (a nested
            // function left out of line would box it on the heap).
            @inline(__always) func tap(_ x: UnsafePointer<Float>, _ k: Int, _ weight: __m512, _ a: __m512) -> __m512 {
                first <= k && k < end ? _mm512_fmadd_ps(lanes.load(x + (at &+ k &* channels)), weight, a) : a
            }
            @inline(__always) func taps(_ x: UnsafePointer<Float>, _ w: Row, _ a: __m512) -> __m512 {
                tap(x, 4, w.4, tap(x, 3, w.3, tap(x, 2, w.2, tap(x, 1, w.1, tap(x, 0, w.0, a)))))
            }
            var a = taps(rows[0], w0, initial)
            if has(1) { a = taps(rows[1], w1, a) }
            if has(2) { a = taps(rows[2], w2, a) }
            if has(3) { a = taps(rows[3], w3, a) }
            return has(4) ? taps(rows[4], w4, a) : a
        }

        /// Two pixels at a time (25 registers hold the filter): pixel j reads columns
        /// `stride·j ..< stride·j + 5`.
        @inline(__always)
        func taps2(_ x: UnsafePointer<Float>, _ w: Row, _ channels: Int, stride: Int, _ a: inout __m512, _ b: inout __m512) {
            @inline(__always) func column(_ n: Int) -> __m512 { lanes.load(x + n &* channels) }
            a = _mm512_fmadd_ps(column(0), w.0, a); b = _mm512_fmadd_ps(column(stride), w.0, b)
            a = _mm512_fmadd_ps(column(1), w.1, a); b = _mm512_fmadd_ps(column(stride &+ 1), w.1, b)
            a = _mm512_fmadd_ps(column(2), w.2, a); b = _mm512_fmadd_ps(column(stride &+ 2), w.2, b)
            a = _mm512_fmadd_ps(column(3), w.3, a); b = _mm512_fmadd_ps(column(stride &+ 3), w.3, b)
            a = _mm512_fmadd_ps(column(4), w.4, a); b = _mm512_fmadd_ps(column(stride &+ 4), w.4, b)
        }

        @inline(__always)
        func sum4(at: Int, stride: Int, channels: Int, initial: __m512) -> Quad {
            var a = initial, b = initial, c = initial, d = initial
            let second = at &+ 2 &* stride &* channels
            taps2(rows[0] + at, w0, channels, stride: stride, &a, &b)
            if has(1) { taps2(rows[1] + at, w1, channels, stride: stride, &a, &b) }
            if has(2) { taps2(rows[2] + at, w2, channels, stride: stride, &a, &b) }
            if has(3) { taps2(rows[3] + at, w3, channels, stride: stride, &a, &b) }
            if has(4) { taps2(rows[4] + at, w4, channels, stride: stride, &a, &b) }
            taps2(rows[0] + second, w0, channels, stride: stride, &c, &d)
            if has(1) { taps2(rows[1] + second, w1, channels, stride: stride, &c, &d) }
            if has(2) { taps2(rows[2] + second, w2, channels, stride: stride, &c, &d) }
            if has(3) { taps2(rows[3] + second, w3, channels, stride: stride, &c, &d) }
            if has(4) { taps2(rows[4] + second, w4, channels, stride: stride, &c, &d) }
            return (a, b, c, d)
        }
    }

    /// Σ over the valid taps of pixel `ox` for channels `c ..< c + 16` (any filter width and
    /// dilation), on top of `initial`.
    @inline(__always)
    static func tapSum<L: Lanes, Layout: RowLayout>(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, _ layout: Layout, ox: Int, channel c: Int,
                                                    initial: __m512, _ lanes: L) -> __m512 {
        let (first, end, origin) = s.taps(ox)
        let channels = s.pixelStride, step = s.dilationWidth &* layout.columnStride
        var acc = initial
        for r in 0..<inputs.count {
            var x = inputs.rows[r] + layout.offset(column: origin &+ first &* s.dilationWidth, channel: c)
            var w = inputs.filters[r] + (first &* channels &+ c)
            var kx = first
            while kx < end {
                acc = _mm512_fmadd_ps(lanes.load(x), lanes.load(w), acc)
                x += step
                w += channels
                kx &+= 1
            }
        }
        return acc
    }

    /// Where channel vector `c` (a multiple of 16) of input column `column` lies in a float
    /// input row: pixel-major rows (`PixelMajor`: the tensor's own layout, `stride` values per
    /// pixel) or rows in blocks of 16 channels (`ChannelBlocked`: each block's columns 16
    /// values apart, so the loops' loads of neighbouring columns are constant offsets from one
    /// pointer — with a stride in a register, a 3×3 pass at stride 2 needed more address
    /// registers than x86 has and reloaded them from the stack).
    protocol RowLayout {
        /// Whether each block of 16 channels has its own contiguous columns (`ChannelBlocked`).
        static var blocked: Bool { get }
        func offset(column: Int, channel c: Int) -> Int
        /// Values from one input column to the next.
        var columnStride: Int { get }
    }

    struct PixelMajor: RowLayout {
        static var blocked: Bool { false }
        let stride: Int
        @inline(__always) func offset(column: Int, channel c: Int) -> Int { column &* stride &+ c }
        @inline(__always) var columnStride: Int { stride }
    }

    package struct ChannelBlocked: RowLayout {
        /// Values from one block of 16 channels to the next (the row's width · 16, or more).
        let blockStride: Int
        static var blocked: Bool { true }
        package init(blockStride: Int) { self.blockStride = blockStride }
        @inline(__always) func offset(column: Int, channel c: Int) -> Int { (c &>> 4) &* blockStride &+ column &* 16 }
        @inline(__always) var columnStride: Int { 16 }
    }

    /// What `depthwiseSums` does with a row's sums: `initial(c)` starts channel vector c's sums,
    /// `state(c)` is what `store` needs for it (a requantizer's constants), made once per vector
    /// and pass over the row, and `store(ox, c, sum, state)` writes pixel ox. A protocol with
    /// `@inline(__always)` methods rather than closures: the requantizing body, a closure called
    /// at some thirty places in the loops below, was compiled out of line and called for every
    /// 16 outputs, its state reloaded from memory each time (a quarter of the int8 depthwise).
    /// `lanes`: the lanes of the vector the pass computes (`FirstLanes` for a row's last channels past a multiple of 16).
    protocol DepthwiseRowBody {
        associatedtype State
        func initial<L: Lanes>(_ c: Int, _ lanes: L) -> __m512
        func state(_ c: Int) -> State
        func store<L: Lanes>(_ ox: Int, _ c: Int, _ sum: __m512, _ state: State, _ lanes: L)
    }

    /// The depthwise sums of a row for channels `0 ..< whole`, channel vector outer, pixels
    /// inner: `body.store(ox, c, body.initial(c) + Σ taps, body.state(c))`. 3×3 and 5×5 filters
    /// (dilation 1 across; any of their rows inside the image) keep the filter in registers
    /// across the row (`registerFilterSums`); other shapes take `tapSum`.
    @_transparent
    static func depthwiseSums<Body: DepthwiseRowBody>(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, whole: Int, _ body: Body) {
        depthwiseSums(s, inputs, PixelMajor(stride: s.pixelStride), channels: 0, to: whole, AllLanes(), body)
    }

    /// `depthwiseSums` for the channel vectors from `first` (a multiple of 16) below `end`,
    /// `lanes` of each.
    @_transparent
    static func depthwiseSums<Body: DepthwiseRowBody, L: Lanes, Layout: RowLayout>(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, _ layout: Layout,
                                                                                   channels first: Int, to end: Int, _ lanes: L, _ body: Body) {
        @inline(__always) func fits<F: RegisterFilter>(_: F.Type) -> Bool {
            s.filterWidth == F.size && s.dilationWidth == 1 && inputs.count >= 1 && inputs.count <= F.size
        }
        if fits(Filter3x3<L, AllRows>.self) {
            if inputs.count == 3 {
                registerFilterSums(Filter3x3<L, AllRows>.self, s, inputs, layout, channels: first, to: end, lanes, body)
            } else {
                registerFilterSums(Filter3x3<L, SomeRows>.self, s, inputs, layout, channels: first, to: end, lanes, body)
            }
        } else if fits(Filter5x5<L, AllRows>.self) {
            if inputs.count == 5 {
                registerFilterSums(Filter5x5<L, AllRows>.self, s, inputs, layout, channels: first, to: end, lanes, body)
            } else {
                registerFilterSums(Filter5x5<L, SomeRows>.self, s, inputs, layout, channels: first, to: end, lanes, body)
            }
        } else {
            var c = first
            while c < end {
                let start = body.initial(c, lanes), vectorState = body.state(c)
                for ox in 0..<s.outputWidth { body.store(ox, c, tapSum(s, inputs, layout, ox: ox, channel: c, initial: start, lanes), vectorState, lanes) }
                c &+= 16
            }
        }
    }

    /// `depthwiseSums` with the filter `F` in registers, for every pixel of the row: those whose
    /// window leaves the row (a padded row's edges) take only the taps inside it, in a pass of
    /// their own, and the rows near a padded image's top and bottom use their rows of the
    /// filter (both had taken the general sum, with the filter loaded from memory for every
    /// tap — a quarter of a 14×14 layer's time). The pixels inside go in strips whose input
    /// (the filter's rows × the strip's columns × every channel) fits in the level-1 cache:
    /// each channel vector's pass over a strip then finds the input the previous vector's pass
    /// loaded (a pass over the whole row, with hundreds of channels, had evicted it), for one
    /// load of the filter per strip and channel vector. The edge pixels stay out of the strips'
    /// loop: in it, with the requantizing body's constants, they cost the loop registers (int8
    /// depthwise layers 10–50 % slower). Transparent: with `@inline(__always)` the 5×5 instance
    /// was left out of line.
    @_transparent
    static func registerFilterSums<F: RegisterFilter, Body: DepthwiseRowBody, Layout: RowLayout>(
        _: F.Type, _ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, _ layout: Layout, channels firstChannel: Int, to end: Int,
        _ lanes: F.L, _ body: Body
    ) {
        // `channels`: the filter's values per tap (and every channel of a strip's columns);
        // `columns`: the input's values per column.
        let channels = s.pixelStride, columns = layout.columnStride
        // The pixels whose whole window lies inside the row (dilation 1): a range, found once.
        var insideStart = 0
        while insideStart < s.outputWidth && insideStart &* s.strideWidth &- s.padLeft < 0 { insideStart &+= 1 }
        var insideEnd = insideStart
        while insideEnd < s.outputWidth && insideEnd &* s.strideWidth &- s.padLeft &+ F.size <= s.inputWidth { insideEnd &+= 1 }
        var c = firstChannel
        if insideStart > 0 || insideEnd < s.outputWidth {
            while c < end {
                let f = F(inputs, channel: c, channels: channels, lanes: lanes)
                let start = body.initial(c, lanes), vectorState = body.state(c)
                var ox = insideStart > 0 ? 0 : insideEnd
                while ox < s.outputWidth {
                    let (firstTap, endTap, origin) = s.taps(ox)
                    body.store(ox, c, f.clippedSum(at: layout.offset(column: origin, channel: c), first: firstTap, end: endTap, channels: columns,
                                                   initial: start),
                               vectorState, lanes)
                    // From the last pixel left of the inside ones to the first right of them.
                    ox = ox &+ 1 == insideStart ? max(insideEnd, insideStart) : ox &+ 1
                }
                c &+= 16
            }
        }
        let step = s.strideWidth &* columns
        let columnBytes = F.size &* channels &* 4
        // A channel block's columns are contiguous in blocked rows (its pass reads no other
        // block's bytes): one strip, the filter loaded once per row and block.
        let strip = Layout.blocked ? max(4, insideEnd &- insideStart)
                                   : max(4, (stripBytes / max(columnBytes, 1) &- F.size) / max(s.strideWidth, 1) / 4 &* 4)
        var first = insideStart
        while first < insideEnd {
            let stripEnd = min(insideEnd, first &+ strip)
            c = firstChannel
            while c < end {
                let f = F(inputs, channel: c, channels: channels, lanes: lanes)
                let start = body.initial(c, lanes), vectorState = body.state(c)
                var at = layout.offset(column: first &* s.strideWidth &- s.padLeft, channel: c)
                var ox = first
                if s.strideWidth == 1 {
                    fours(f, stride: 1, ox: &ox, at: &at, end: stripEnd, step: step, c: c, channels: columns, start, vectorState, lanes, body)
                } else if s.strideWidth == 2 {
                    fours(f, stride: 2, ox: &ox, at: &at, end: stripEnd, step: step, c: c, channels: columns, start, vectorState, lanes, body)
                }
                // The last one to three pixels as a four where the row has the columns (a
                // padded slot, `FloatDepthwiseKernel.padsRows`): the pixels past them are
                // computed, not stored. Blocked rows only (the pixel-major instances keep
                // their code: 2–4 % slower with it, isolated).
                if Layout.blocked && ox < stripEnd && s.strideWidth <= 2 && (ox &+ 3) &* s.strideWidth &- s.padLeft &+ F.size <= s.inputWidth {
                    let q = s.strideWidth == 1 ? f.sum4(at: at, stride: 1, channels: columns, initial: start)
                                               : f.sum4(at: at, stride: 2, channels: columns, initial: start)
                    body.store(ox, c, q.0, vectorState, lanes)
                    if ox &+ 1 < stripEnd { body.store(ox &+ 1, c, q.1, vectorState, lanes) }
                    if ox &+ 2 < stripEnd { body.store(ox &+ 2, c, q.2, vectorState, lanes) }
                    ox = stripEnd
                }
                while ox < stripEnd {
                    body.store(ox, c, f.sum(at: at, channels: columns, initial: start), vectorState, lanes)
                    at &+= step
                    ox &+= 1
                }
                c &+= 16
            }
            first = stripEnd
        }
    }

    /// `registerFilterSums`' pixels four at a time from `ox` while four fit before `end`, the
    /// first one's window at `at` (both advanced). A function of its own, not a nested one: a
    /// nested function capturing `ox` and `at` that the optimizer left out of line boxed them
    /// on the heap at every call. Transparent: with `@inline(__always)` the instance with some
    /// rows was left out of line.
    @_transparent
    static func fours<F: RegisterFilter, Body: DepthwiseRowBody>(_ f: F, stride: Int, ox: inout Int, at: inout Int, end: Int, step: Int, c: Int,
                                                                 channels: Int, _ start: __m512, _ state: Body.State, _ lanes: F.L, _ body: Body) {
        while ox &+ 4 <= end {
            let q = f.sum4(at: at, stride: stride, channels: channels, initial: start)
            body.store(ox, c, q.0, state, lanes); body.store(ox &+ 1, c, q.1, state, lanes)
            body.store(ox &+ 2, c, q.2, state, lanes); body.store(ox &+ 3, c, q.3, state, lanes)
            at &+= 4 &* step
            ox &+= 4
        }
    }

    /// The input bytes a strip of `registerFilterSums` aims to read: half the level-1 data
    /// cache of current x86 cores (48 KB).
    static let stripBytes = 24 * 1024

    /// One requantized INT8/UINT8 output row, every channel: `bias + Σ taps` (exact: the caller
    /// passes at most `exactProductChunk` taps per pixel), requantized in registers and stored
    /// as bytes; the channels past the last whole vector of 16 as one vector of masked lanes.
    /// The input rows are in blocks of 16 channels, `blockStride` values apart
    /// (`ChannelBlocked`).
    /// `floatBias`, where given, is the bias as floats, every value below 2^23 in magnitude:
    /// with the float requantization, the sums then start at the bias and stay exact integers
    /// (below 2^24) through every tap, and go to the requantizer as they are.
    package static func depthwiseRequantizedRows16(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, blockStride: Int,
                                                   bias: UnsafePointer<Int32>, floatBias: UnsafePointer<Float>?, _ r: RequantizationVectors,
                                                   outputZeroPoint: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutableRawPointer) {
        let layout = ChannelBlocked(blockStride: blockStride)
        if r.fast, let floatBias {
            depthwiseFloatRequantizedRows16(s, inputs, layout, floatBias: floatBias, r, outputZeroPoint: outputZeroPoint,
                                            minimum: minimum, maximum: maximum, into: out)
        } else {
            depthwiseIntegerRequantizedRows16(s, inputs, layout, bias: bias, r, outputZeroPoint: outputZeroPoint,
                                              minimum: minimum, maximum: maximum, into: out)
        }
    }

    /// `depthwiseSums` over every channel: the whole vectors, then the rest as masked lanes.
    @_transparent
    static func allChannelSums<Body: DepthwiseRowBody, Layout: RowLayout>(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs,
                                                                          _ layout: Layout, _ body: Body) {
        let whole = s.channels / 16 &* 16
        depthwiseSums(s, inputs, layout, channels: 0, to: whole, AllLanes(), body)
        if whole < s.channels {
            depthwiseSums(s, inputs, layout, channels: whole, to: whole &+ 16, FirstLanes(count: s.channels &- whole), body)
        }
    }

    /// `depthwiseRequantizedRows16`'s float form (each form is a function of its own, so that
    /// each inlines its one copy of the sums loop and its row body).
    static func depthwiseFloatRequantizedRows16(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, _ layout: ChannelBlocked,
                                                floatBias: UnsafePointer<Float>, _ r: RequantizationVectors, outputZeroPoint: Int32,
                                                minimum: Int32, maximum: Int32, into out: UnsafeMutableRawPointer) {
        let stride = s.pixelStride
        struct Body<Choice: ByteStoreChoice>: DepthwiseRowBody {
            let floatBias: UnsafePointer<Float>, r: RequantizationVectors, outputZeroPoint: Int32, minimum: Int32, maximum: Int32
            let out: UnsafeMutableRawPointer, stride: Int
            @inline(__always) func initial<L: Lanes>(_ c: Int, _ lanes: L) -> __m512 { lanes.load(floatBias + c) }
            @inline(__always) func state(_ c: Int) -> FloatLaneRequantization {
                FloatLaneRequantization(r, column: c, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum)
            }
            @inline(__always) func store<L: Lanes>(_ ox: Int, _ c: Int, _ sum: __m512, _ q: FloatLaneRequantization, _ lanes: L) {
                let to = out + (ox &* stride &+ c)
                if let fixed = Choice.fixed {
                    q.store(sum, exactly: { _mm512_cvtps_epi32(sum) }, count: lanes.count, to: to, signless: fixed.signless, narrowing: fixed.narrowing)
                } else {
                    q.store(sum, exactly: { _mm512_cvtps_epi32(sum) }, count: lanes.count, to: to)
                }
            }
        }
        @inline(__always) func run<Choice: ByteStoreChoice>(_: Choice.Type) {
            allChannelSums(s, inputs, layout, Body<Choice>(floatBias: floatBias, r: r, outputZeroPoint: outputZeroPoint, minimum: minimum,
                                                           maximum: maximum, out: out, stride: stride))
        }
        // The requantizer's choices (`FloatLaneRequantization.signless`, `narrowing`) as
        // constants for INT8 outputs, each its own copy of the loops; others choose per vector.
        let int8 = minimum == -128 && maximum == 127
        if int8 && minimum >= outputZeroPoint {
            run(SignlessInt8Store.self)
        } else if int8 {
            run(SignedInt8Store.self)
        } else {
            run(ChosenPerVector.self)
        }
    }

    /// A row body's requantizer choices fixed at compile time (`fixed`), or nil: the
    /// requantizer's own, branched on per vector.
    protocol ByteStoreChoice { static var fixed: (signless: Bool, narrowing: Int)? { get } }
    /// INT8 output whose clamp starts at the zero point (RELU, RELU6).
    enum SignlessInt8Store: ByteStoreChoice { static var fixed: (signless: Bool, narrowing: Int)? { (true, 1) } }
    /// INT8 output over the whole range (no activation).
    enum SignedInt8Store: ByteStoreChoice { static var fixed: (signless: Bool, narrowing: Int)? { (false, 1) } }
    enum ChosenPerVector: ByteStoreChoice { static var fixed: (signless: Bool, narrowing: Int)? { nil } }

    /// `depthwiseRequantizedRows16`'s integer form (integer parameters, or a bias too large to
    /// start the float sums): the Int32 bias added to the converted sums.
    static func depthwiseIntegerRequantizedRows16(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, _ layout: ChannelBlocked,
                                                  bias: UnsafePointer<Int32>, _ r: RequantizationVectors, outputZeroPoint: Int32,
                                                  minimum: Int32, maximum: Int32, into out: UnsafeMutableRawPointer) {
        let stride = s.pixelStride
        struct Body: DepthwiseRowBody {
            let bias: UnsafePointer<Int32>, r: RequantizationVectors, outputZeroPoint: Int32, minimum: Int32, maximum: Int32
            let out: UnsafeMutableRawPointer, stride: Int
            @inline(__always) func initial<L: Lanes>(_ c: Int, _: L) -> __m512 { _mm512_setzero_ps() }
            @inline(__always) func state(_ c: Int) -> (LaneRequantization, __m512i) {
                (LaneRequantization(r, column: c, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum), _mm512_loadu_si512(bias + c))
            }
            @inline(__always) func store<L: Lanes>(_ ox: Int, _ c: Int, _ sum: __m512, _ state: (LaneRequantization, __m512i), _ lanes: L) {
                // The sum is an integer below 2^22: converting rounds nothing.
                state.0.store(_mm512_add_epi32(state.1, _mm512_cvtps_epi32(sum)), count: lanes.count, to: out + (ox &* stride &+ c))
            }
        }
        allChannelSums(s, inputs, layout, Body(bias: bias, r: r, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum,
                                               out: out, stride: stride))
    }

    /// Float rows for every channel: the whole vectors of 16, then the rest as one vector of
    /// masked lanes (the same loops: MobileNetV3's 72, 120, 184 and 200 channels leave 8, which
    /// the generic 8-lane code took 20 % of the depthwise time over); returns the channel count.
    static func depthwiseFloatRows16<E: WideEpilogue, Layout: RowLayout>(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, _ layout: Layout,
                                                                         bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                                                         minimum: Float, maximum: Float, _ epilogue: E) -> Int {
        // max(lo, x) and min(hi, x) return x when x is NaN, as the reference's std::max/min do.
        let lo = _mm512_set1_ps(minimum), hi = _mm512_set1_ps(maximum)
        let body = FloatDepthwiseBody(bias: bias, out: out, stride: s.pixelStride, lo: lo, hi: hi, epilogue: epilogue)
        allChannelSums(s, inputs, layout, body)
        return s.channels
    }

    /// The float depthwise row's store: bias first, clamped, then the epilogue.
    struct FloatDepthwiseBody<E: WideEpilogue>: DepthwiseRowBody {
        let bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, stride: Int, lo: __m512, hi: __m512, epilogue: E
        @inline(__always) func initial<L: Lanes>(_ c: Int, _ lanes: L) -> __m512 { lanes.load(bias + c) }
        @inline(__always) func state(_ c: Int) {}
        @inline(__always) func store<L: Lanes>(_ ox: Int, _ c: Int, _ sum: __m512, _: Void, _ lanes: L) {
            let offset = ox &* stride &+ c
            let value = epilogue.apply(_mm512_min_ps(hi, _mm512_max_ps(lo, sum)), offset: offset, mask: lanes.mask)
            if L.self == AllLanes.self { _mm512_storeu_ps(out + offset, value) } else { _mm512_mask_storeu_ps(out + offset, lanes.mask, value) }
        }
    }

    /// Exact integer accumulators (`acc += Σ`, taps integers held as floats) for channels
    /// `0 ..< whole` (at most `exactProductChunk` taps per call); returns `whole`.
    static func depthwiseIntegerRows16(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, acc: UnsafeMutablePointer<Int32>) -> Int {
        let stride = s.pixelStride, whole = s.channels / 16 &* 16
        struct Body: DepthwiseRowBody {
            let acc: UnsafeMutablePointer<Int32>, stride: Int
            @inline(__always) func initial<L: Lanes>(_ c: Int, _: L) -> __m512 { _mm512_setzero_ps() }
            @inline(__always) func state(_ c: Int) {}
            @inline(__always) func store<L: Lanes>(_ ox: Int, _ c: Int, _ sum: __m512, _: Void, _: L) {
                // The sum is an integer below 2^22: converting rounds nothing.
                let o = acc + (ox &* stride &+ c)
                _mm512_storeu_si512(o, _mm512_add_epi32(_mm512_loadu_si512(o), _mm512_cvtps_epi32(sum)))
            }
        }
        depthwiseSums(s, inputs, whole: whole, Body(acc: acc, stride: stride))
        return whole
    }
}
#endif

#if arch(x86_64) && !TFLITE_AVX512
extension InstructionSetKernels {
    /// The float matrix multiply at AVX2: up to 4 rows × one panel (16 channels, two 256-bit
    /// halves) in 8 accumulators, clamped and stored with the intrinsics — the generic `SIMD16`
    /// epilogue was computed lane by lane (scalar `vminss` and inserts) here too.
    static func floatTiles4x16(_ p: FloatGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                               out: UnsafeMutablePointer<Float>, outStride: Int) {
        let a0 = a, a1 = rows > 1 ? a + aStride : a, a2 = rows > 2 ? a + 2 &* aStride : a, a3 = rows > 3 ? a + 3 &* aStride : a
        let lo = _mm256_set1_ps(p.minimum), hi = _mm256_set1_ps(p.maximum)
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
        let k = p.k
        let weights = p.weights.assumingMemoryBound(to: Float.self), bias = p.bias.assumingMemoryBound(to: Float.self)
        for panel in 0..<p.panels {
            let column = panel &* 16
            let b = weights + column &* k
            let l0 = _mm256_loadu_ps(bias + column), h0 = _mm256_loadu_ps(bias + (column &+ 8))
            var l1 = l0, l2 = l0, l3 = l0, h1 = h0, h2 = h0, h3 = h0
            var l = l0, h = h0
            var i = 0
            while i < k {
                let wl = _mm256_loadu_ps(b + i &* 16), wh = _mm256_loadu_ps(b + (i &* 16 &+ 8))
                var x = _mm256_broadcast_ss(a0 + i); l = _mm256_fmadd_ps(x, wl, l); h = _mm256_fmadd_ps(x, wh, h)
                x = _mm256_broadcast_ss(a1 + i); l1 = _mm256_fmadd_ps(x, wl, l1); h1 = _mm256_fmadd_ps(x, wh, h1)
                x = _mm256_broadcast_ss(a2 + i); l2 = _mm256_fmadd_ps(x, wl, l2); h2 = _mm256_fmadd_ps(x, wh, h2)
                x = _mm256_broadcast_ss(a3 + i); l3 = _mm256_fmadd_ps(x, wl, l3); h3 = _mm256_fmadd_ps(x, wh, h3)
                i &+= 1
            }
            let count = min(16, p.n &- column)
            let lowMask = _mm256_cmpgt_epi32(_mm256_set1_epi32(Int32(min(count, 8))), lanes)
            let highMask = _mm256_cmpgt_epi32(_mm256_set1_epi32(Int32(max(count &- 8, 0))), lanes)
            @inline(__always) func store(_ low: __m256, _ high: __m256, _ row: Int) {
                guard row < rows else { return }
                let to = out + (row &* outStride &+ column)
                let low = _mm256_min_ps(hi, _mm256_max_ps(lo, low)), high = _mm256_min_ps(hi, _mm256_max_ps(lo, high))
                if count == 16 {
                    _mm256_storeu_ps(to, low)
                    _mm256_storeu_ps(to + 8, high)
                } else {
                    _mm256_maskstore_ps(to, lowMask, low)
                    _mm256_maskstore_ps(to + 8, highMask, high)
                }
            }
            store(l, h, 0); store(l1, h1, 1); store(l2, h2, 2); store(l3, h3, 3)
        }
    }
}
#endif

#if arch(x86_64)
import _Builtin_intrinsics.intel
import Microkernels
import MicrokernelsAVX512

/// The 3×3 and 5×5 depthwise convolutions on bytes with `vpdpbusd`: a 32-bit lane adds the
/// products of four bytes, here four taps of one filter row and one channel (a 3×3 filter row
/// is one vector with a fourth tap of weight 0, a 5×5 one two vectors). The input rows are
/// copied in blocks of 16 channels (`blockedByteRow`), unsigned (INT8 XOR 0x80), so that four
/// pixels from one of an output pixel's taps are 64 consecutive bytes: one load and one
/// `vpermb` put each channel's four bytes in its lane. An output vector of 16 channels of a
/// 3×3 filter is three loads, three permutes and three `vpdpbusd` from the bias, then the
/// requantization — where the float kernels convert every input row to floats (four times the
/// bytes, which left the level-1 cache) and take nine multiply-adds. Needs AVX512_VNNI and
/// AVX512_VBMI.
extension VNNIKernels {
    /// Bytes of one block of a row slot: `pixels` columns of 16 bytes, rounded up to whole
    /// cache lines.
    package static func byteRowBlockStride(pixels: Int) -> Int { (pixels &* 16 &+ 63) / 64 &* 64 }

    /// Input row `source` (`width` pixels of `channels` bytes; nil: a padding row) in blocks
    /// of 16 channels, `blockStride` bytes apart: slot column j holds input column
    /// j − `padLeft`, XOR `flip`, for j in 0..<`pixels`; columns outside the input, and the
    /// last block's lanes past the channels, hold `fill` (the input zero point XOR `flip`).
    package static func blockedByteRow(_ source: UnsafePointer<UInt8>?, width: Int, channels: Int, padLeft: Int, pixels: Int, flip: UInt8,
                                       fill: UInt8, into to: UnsafeMutablePointer<UInt8>, blockStride: Int) {
        let blocks = (channels &+ 15) / 16, whole = channels / 16
        let f = _mm_set1_epi8(Int8(bitPattern: flip)), padding = _mm_set1_epi8(Int8(bitPattern: fill))
        let restMask = InstructionSetKernels.laneMask(channels &- whole &* 16)
        @inline(__always) func store(_ v: __m128i, _ block: Int, _ column: Int) {
            _mm_storeu_si128(UnsafeMutableRawPointer(to + (block &* blockStride &+ column &* 16)).assumingMemoryBound(to: __m128i.self), v)
        }
        // Slot columns first..<end hold input columns; the others (and a padding row) the fill.
        let first = source == nil ? pixels : min(pixels, max(0, padLeft)), end = source == nil ? pixels : max(first, min(pixels, padLeft &+ width))
        for j in 0..<first { for b in 0..<blocks { store(padding, b, j) } }
        for j in end..<pixels { for b in 0..<blocks { store(padding, b, j) } }
        guard let source, first < end else { return }
        // A block at a time: its column stores are consecutive (the loads `channels` apart).
        let row = source + (first &- padLeft) &* channels
        for b in 0..<whole {
            var from = row + b &* 16
            var into = UnsafeMutableRawPointer(to + (b &* blockStride &+ first &* 16))
            for _ in first..<end {
                _mm_storeu_si128(into.assumingMemoryBound(to: __m128i.self),
                                 _mm_xor_si128(_mm_loadu_si128(UnsafeRawPointer(from).assumingMemoryBound(to: __m128i.self)), f))
                from += channels
                into += 16
            }
        }
        if whole < blocks {
            for j in first..<end {
                let pixel = row + (j &- first) &* channels
                store(_mm_mask_blend_epi8(restMask, padding, _mm_xor_si128(_mm_maskz_loadu_epi8(restMask, pixel + whole &* 16), f)), whole, j)
            }
        }
    }

    /// One output row of a 3×3 or 5×5 (`size`) depthwise convolution with multiplier 1: `rows`
    /// are its `size` input rows as `blockedByteRow` slots (padding rows included), `weights`
    /// per block of 16 channels `byteFilterBytes(size)` bytes — per filter row ky, per four
    /// columns from 4q, a vector whose lane j holds channel j's taps (0 past the filter) —
    /// `bias` per channel already less the sums the unsigned bytes and the input zero point
    /// add (Σ w · (zero point + 128) for INT8). Output pixel x reads slot columns x · `stride`
    /// …+ 4 · ⌈size / 4⌉ − 1; `out` is the output row (pixels `channels` bytes apart).
    package static func depthwiseByteRow(size: Int, _ rows: UnsafePointer<UnsafePointer<UInt8>>, blockStride: Int, weights: UnsafePointer<Int8>,
                                         bias: UnsafePointer<Int32>, channels: Int, outputWidth: Int, stride: Int, _ r: RequantizationVectors,
                                         outputZeroPoint: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutableRawPointer) {
        let q = (r: r, zero: outputZeroPoint, min: minimum, max: maximum)
        let a = (rows: rows, blockStride: blockStride, weights: weights, bias: bias, channels: channels, width: outputWidth, step: stride &* 16, out: out)
        if size == 5 { byteRows(a, q, Filter5x5.self) } else { byteRows(a, q, Filter3x3.self) }
    }

    /// Bytes of a block's filter for `depthwiseByteRow`.
    package static func byteFilterBytes(size: Int) -> Int { size &* ((size &+ 3) / 4) &* 64 }

    /// `depthwiseByteRow` for filter `F`, with the requantizer's choices as constants for
    /// INT8 outputs (each its own loop).
    @inline(__always)
    static func byteRows<F: ByteFilter>(_ a: ByteRowArguments, _ q: ByteRowRequantization, _: F.Type) {
        guard q.r.fast else {
            byteRows(a, q, F.self, Requantizing<InstructionSetKernels.LaneRequantization>.self)
            return
        }
        let int8 = q.min == -128 && q.max == 127
        if int8 && q.min >= q.zero {
            byteRows(a, q, F.self, FixedFloat<SignlessInt8>.self)
        } else if int8 {
            byteRows(a, q, F.self, FixedFloat<SignedInt8>.self)
        } else {
            byteRows(a, q, F.self, Requantizing<InstructionSetKernels.FloatLaneRequantization>.self)
        }
    }

    /// A filter's weights of one block in registers and its input rows; `sum` adds the taps of
    /// the output pixel whose first column is `column` bytes into each row.
    protocol ByteFilter {
        init(_ weights: UnsafePointer<Int8>, rows: UnsafePointer<UnsafePointer<UInt8>>, offset: Int)
        func sum(_ start: __m512i, column: Int) -> __m512i
        /// Bytes of a block's weights (`byteFilterBytes`).
        static var bytes: Int { get }
    }

    /// Byte 4j + i of a permuted vector: column i's byte of channel j (at 16i + j).
    @inline(__always)
    static func quad(_ p: UnsafePointer<UInt8>) -> __m512i {
        let gather = _mm512_set_epi8(63, 47, 31, 15, 62, 46, 30, 14, 61, 45, 29, 13, 60, 44, 28, 12,
                                     59, 43, 27, 11, 58, 42, 26, 10, 57, 41, 25, 9, 56, 40, 24, 8,
                                     55, 39, 23, 7, 54, 38, 22, 6, 53, 37, 21, 5, 52, 36, 20, 4,
                                     51, 35, 19, 3, 50, 34, 18, 2, 49, 33, 17, 1, 48, 32, 16, 0)
        return _mm512_permutexvar_epi8(gather, _mm512_loadu_si512(p))
    }

    struct Filter3x3: ByteFilter {
        static var bytes: Int { 192 }
        let w0: __m512i, w1: __m512i, w2: __m512i
        let r0: UnsafePointer<UInt8>, r1: UnsafePointer<UInt8>, r2: UnsafePointer<UInt8>
        @inline(__always) init(_ w: UnsafePointer<Int8>, rows: UnsafePointer<UnsafePointer<UInt8>>, offset: Int) {
            w0 = _mm512_loadu_si512(w); w1 = _mm512_loadu_si512(w + 64); w2 = _mm512_loadu_si512(w + 128)
            r0 = rows[0] + offset; r1 = rows[1] + offset; r2 = rows[2] + offset
        }
        @inline(__always) func sum(_ start: __m512i, column: Int) -> __m512i {
            let acc = _mm512_dpbusd_epi32(start, quad(r0 + column), w0)
            return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc, quad(r1 + column), w1), quad(r2 + column), w2)
        }
    }

    /// Two vectors per filter row: columns 0–3, then column 4 (and three zero weights).
    struct Filter5x5: ByteFilter {
        static var bytes: Int { 640 }
        let w: (__m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i)
        let r0: UnsafePointer<UInt8>, r1: UnsafePointer<UInt8>, r2: UnsafePointer<UInt8>, r3: UnsafePointer<UInt8>, r4: UnsafePointer<UInt8>
        @inline(__always) init(_ p: UnsafePointer<Int8>, rows: UnsafePointer<UnsafePointer<UInt8>>, offset: Int) {
            @inline(__always) func v(_ i: Int) -> __m512i { _mm512_loadu_si512(p + i &* 64) }
            w = (v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7), v(8), v(9))
            r0 = rows[0] + offset; r1 = rows[1] + offset; r2 = rows[2] + offset; r3 = rows[3] + offset; r4 = rows[4] + offset
        }
        @inline(__always) func sum(_ start: __m512i, column: Int) -> __m512i {
            var acc = _mm512_dpbusd_epi32(start, quad(r0 + column), w.0)
            acc = _mm512_dpbusd_epi32(acc, quad(r0 + (column &+ 64)), w.1)
            acc = _mm512_dpbusd_epi32(acc, quad(r1 + column), w.2)
            acc = _mm512_dpbusd_epi32(acc, quad(r1 + (column &+ 64)), w.3)
            acc = _mm512_dpbusd_epi32(acc, quad(r2 + column), w.4)
            acc = _mm512_dpbusd_epi32(acc, quad(r2 + (column &+ 64)), w.5)
            acc = _mm512_dpbusd_epi32(acc, quad(r3 + column), w.6)
            acc = _mm512_dpbusd_epi32(acc, quad(r3 + (column &+ 64)), w.7)
            acc = _mm512_dpbusd_epi32(acc, quad(r4 + column), w.8)
            return _mm512_dpbusd_epi32(acc, quad(r4 + (column &+ 64)), w.9)
        }
    }

    /// How `depthwiseByteRow` requantizes and stores a vector of 16 channels' sums.
    protocol ByteRowStore {
        init(_ r: RequantizationVectors, column: Int, outputZeroPoint: Int32, minimum: Int32, maximum: Int32)
        func store(_ acc: __m512i, count: Int, to out: UnsafeMutableRawPointer)
    }

    /// A requantizer as it is (the float one choosing its sign handling and narrowing per vector).
    struct Requantizing<Q: InstructionSetKernels.ByteRequantizer>: ByteRowStore {
        let q: Q
        @inline(__always) init(_ r: RequantizationVectors, column: Int, outputZeroPoint: Int32, minimum: Int32, maximum: Int32) {
            q = Q(r, column: column, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum)
        }
        @inline(__always) func store(_ acc: __m512i, count: Int, to out: UnsafeMutableRawPointer) { q.store(acc, count: count, to: out) }
    }

    /// The float requantizer's choices for an INT8 output range, as constants.
    protocol FixedByteChoice { static var signless: Bool { get } }
    enum SignlessInt8: FixedByteChoice { static var signless: Bool { true } }
    enum SignedInt8: FixedByteChoice { static var signless: Bool { false } }

    struct FixedFloat<C: FixedByteChoice>: ByteRowStore {
        let q: InstructionSetKernels.FloatLaneRequantization
        @inline(__always) init(_ r: RequantizationVectors, column: Int, outputZeroPoint: Int32, minimum: Int32, maximum: Int32) {
            q = .init(r, column: column, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum)
        }
        @inline(__always) func store(_ acc: __m512i, count: Int, to out: UnsafeMutableRawPointer) {
            q.store(_mm512_cvtepi32_ps(acc), exactly: { acc }, count: count, to: out, signless: C.signless, narrowing: 1)
        }
    }

    typealias ByteRowArguments = (rows: UnsafePointer<UnsafePointer<UInt8>>, blockStride: Int, weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>,
                                  channels: Int, width: Int, step: Int, out: UnsafeMutableRawPointer)
    typealias ByteRowRequantization = (r: RequantizationVectors, zero: Int32, min: Int32, max: Int32)

    /// `depthwiseByteRow` with filter `F`, storing through `S`.
    @inline(__always)
    static func byteRows<F: ByteFilter, S: ByteRowStore>(_ a: ByteRowArguments, _ q: ByteRowRequantization, _: F.Type, _: S.Type) {
        var c = 0
        while c < a.channels {
            let block = c / 16, lanes = min(16, a.channels &- c)
            let filter = F(a.weights + block &* F.bytes, rows: a.rows, offset: block &* a.blockStride)
            let start = _mm512_loadu_si512(a.bias + c)
            let requantizer = S(q.r, column: c, outputZeroPoint: q.zero, minimum: q.min, maximum: q.max)
            var column = 0, o = a.out + c
            for _ in 0..<a.width {
                requantizer.store(filter.sum(start, column: column), count: lanes, to: o)
                column &+= a.step
                o += a.channels
            }
            c &+= 16
        }
    }
}
#endif

#if arch(x86_64)
import _Builtin_intrinsics.intel
import Microkernels
import MicrokernelsAVX512

/// The 3×3 depthwise convolution on bytes with `vpdpbusd`: a 32-bit lane adds the products of
/// four bytes, here one filter row's three taps of one channel (and a fourth tap of weight 0).
/// The input rows are copied in blocks of 16 channels (`blockedByteRow`), unsigned (INT8 XOR
/// 0x80), so that the four pixels from an output pixel's first tap are 64 consecutive bytes:
/// one load and one `vpermb` put each channel's four bytes in its lane. An output vector of
/// 16 channels is three loads, three permutes and three `vpdpbusd` from the bias, then the
/// requantization — where the float kernels convert every input row to floats (four times
/// the bytes, which left the level-1 cache) and take nine multiply-adds. Needs AVX512_VNNI
/// and AVX512_VBMI.
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
        for j in 0..<pixels {
            let x = j &- padLeft
            guard let source, x >= 0, x < width else {
                for b in 0..<blocks { store(padding, b, j) }
                continue
            }
            let pixel = source + x &* channels
            for b in 0..<whole { store(_mm_xor_si128(_mm_loadu_si128(UnsafeRawPointer(pixel + b &* 16).assumingMemoryBound(to: __m128i.self)), f), b, j) }
            if whole < blocks {
                store(_mm_mask_blend_epi8(restMask, padding, _mm_xor_si128(_mm_maskz_loadu_epi8(restMask, pixel + whole &* 16), f)), whole, j)
            }
        }
    }

    /// One output row of a 3×3 depthwise convolution with multiplier 1: `rows` are its three
    /// input rows as `blockedByteRow` slots (padding rows included), `weights` per block of 16
    /// channels three vectors of 64 bytes (filter row ky: channel lane j holds taps 0, 1, 2
    /// and a 0), `bias` per channel already less the sums the unsigned bytes and the input
    /// zero point add (Σ w · (zero point + 128) for INT8). Output pixel x reads slot columns
    /// x · `stride` …+ 3; `out` is the output row (pixels `channels` bytes apart).
    package static func depthwiseByteRow3x3(_ rows: (UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>), blockStride: Int,
                                            weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>, channels: Int, outputWidth: Int, stride: Int,
                                            _ r: RequantizationVectors, outputZeroPoint: Int32, minimum: Int32, maximum: Int32,
                                            into out: UnsafeMutableRawPointer) {
        let q = (r: r, zero: outputZeroPoint, min: minimum, max: maximum)
        let a = (rows: rows, blockStride: blockStride, weights: weights, bias: bias, channels: channels, width: outputWidth, step: stride &* 16, out: out)
        guard r.fast else {
            byteRows3x3(a, q, Requantizing<InstructionSetKernels.LaneRequantization>.self)
            return
        }
        // The requantizer's choices as constants for INT8 outputs (each its own loop).
        let int8 = minimum == -128 && maximum == 127
        if int8 && minimum >= outputZeroPoint {
            byteRows3x3(a, q, FixedFloat<SignlessInt8>.self)
        } else if int8 {
            byteRows3x3(a, q, FixedFloat<SignedInt8>.self)
        } else {
            byteRows3x3(a, q, Requantizing<InstructionSetKernels.FloatLaneRequantization>.self)
        }
    }

    /// How `byteRows3x3` requantizes and stores a vector of 16 channels' sums.
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

    typealias ByteRowArguments = (rows: (UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>), blockStride: Int,
                                  weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>, channels: Int, width: Int, step: Int,
                                  out: UnsafeMutableRawPointer)
    typealias ByteRowRequantization = (r: RequantizationVectors, zero: Int32, min: Int32, max: Int32)

    /// `depthwiseByteRow3x3` storing through `S`.
    @inline(__always)
    static func byteRows3x3<S: ByteRowStore>(_ a: ByteRowArguments, _ q: ByteRowRequantization, _: S.Type) {
        // Byte 4j + i of a permuted vector: column i's byte of channel j (at 16i + j).
        let gather = _mm512_set_epi8(63, 47, 31, 15, 62, 46, 30, 14, 61, 45, 29, 13, 60, 44, 28, 12,
                                     59, 43, 27, 11, 58, 42, 26, 10, 57, 41, 25, 9, 56, 40, 24, 8,
                                     55, 39, 23, 7, 54, 38, 22, 6, 53, 37, 21, 5, 52, 36, 20, 4,
                                     51, 35, 19, 3, 50, 34, 18, 2, 49, 33, 17, 1, 48, 32, 16, 0)
        @inline(__always) func quad(_ p: UnsafePointer<UInt8>) -> __m512i { _mm512_permutexvar_epi8(gather, _mm512_loadu_si512(p)) }
        var c = 0
        while c < a.channels {
            let block = c / 16, lanes = min(16, a.channels &- c)
            let w = a.weights + block &* 192
            let w0 = _mm512_loadu_si512(w), w1 = _mm512_loadu_si512(w + 64), w2 = _mm512_loadu_si512(w + 128)
            let start = _mm512_loadu_si512(a.bias + c)
            let requantizer = S(q.r, column: c, outputZeroPoint: q.zero, minimum: q.min, maximum: q.max)
            let offset = block &* a.blockStride
            var r0 = a.rows.0 + offset, r1 = a.rows.1 + offset, r2 = a.rows.2 + offset
            var o = a.out + c
            for _ in 0..<a.width {
                var acc = _mm512_dpbusd_epi32(start, quad(r0), w0)
                acc = _mm512_dpbusd_epi32(acc, quad(r1), w1)
                acc = _mm512_dpbusd_epi32(acc, quad(r2), w2)
                requantizer.store(acc, count: lanes, to: o)
                r0 += a.step; r1 += a.step; r2 += a.step
                o += a.channels
            }
            c &+= 16
        }
    }
}
#endif

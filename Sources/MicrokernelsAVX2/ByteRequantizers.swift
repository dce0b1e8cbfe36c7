// The byte requantizers of the AVX-512 kernels. This one file is compiled into
// MicrokernelsAVX512 and MicrokernelsVNNI (symbolic links to it; in MicrokernelsAVX2, where it
// lives, it compiles to nothing), so that the VNNI matrix multiply requantizes through its own,
// inlined copy: Swift left calls into the other module's `@inlinable` requantizer as calls.
#if arch(x86_64) && (TFLITE_AVX512 || TFLITE_VNNI)
import _Builtin_intrinsics.intel
import Microkernels
#if TFLITE_VNNI
import MicrokernelsAVX512
#endif

extension InstructionSetKernels {
    /// Requantizes `rows` rows of `count` Int32 accumulators (rows `stride` apart, channel 0
    /// first) into 8-bit rows of `out` (`outStride` apart), 16 lanes at a time
    /// (`requantizeRows16`).
    @inline(__always)
    static func requantizeByteRows(_ r: RequantizationVectors, _ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int,
                                   outputZeroPoint: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutableRawPointer, outStride: Int) {
        @inline(__always) func run<Q: ByteRequantizer>(_: Q.Type) {
            var column = 0
            while column < count {
                let lanes = min(16, count &- column)
                let q = Q(r, column: column, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum)
                q.storeRows(acc + column, rows: rows, stride: stride, count: lanes, to: out + column, outStride: outStride)
                column &+= 16
            }
        }
        if r.fast { run(FloatLaneRequantization.self) } else { run(LaneRequantization.self) }
    }

    /// The first `count` (0…16) lanes (`laneMask`, here so each module inlines its own).
    @inline(__always)
    static func byteLaneMask(_ count: Int) -> __mmask16 {
        __mmask16(truncatingIfNeeded: (UInt32(1) << UInt32(count)) &- 1)
    }

    /// The low bytes of lanes already clamped to the INT8 range (`signed`) or the UINT8 range,
    /// by a saturating narrowing that then changes nothing: the compiler folds a truncating
    /// narrowing and the store after it back into vpmovdb to memory (see `storeBytes`).
    @inline(__always)
    static func narrowClamped(_ v: __m512i, signed: Bool) -> __m128i {
        signed ? _mm512_cvtsepi32_epi8(v) : _mm512_cvtusepi32_epi8(v)
    }

    /// Stores the first `count` (1 ... 16) of 16 narrowed bytes: a plain store for all 16.
    /// The narrowing is done in registers: the memory forms of vpmov*db (narrow and store in
    /// one instruction) cost AMD Zen 5 a multiple of the two instructions in the int8 loops.
    @inline(__always)
    static func storeBytes(_ bytes: __m128i, count: Int, to out: UnsafeMutableRawPointer) {
        if count == 16 {
            _mm_storeu_si128(out.assumingMemoryBound(to: __m128i.self), bytes)
        } else {
            _mm_mask_storeu_epi8(out, byteLaneMask(count), bytes)
        }
    }

    /// How the byte-output kernels requantize 16 channels of Int32 accumulators: set up once
    /// per 16 channels (from `column`, a multiple of 16), then `store` per vector of
    /// accumulators — TFLite's `MultiplyByQuantizedMultiplier`, plus the output zero point,
    /// clamped, narrowed to bytes.
    protocol ByteRequantizer {
        init(_ r: RequantizationVectors, column: Int, outputZeroPoint: Int32, minimum: Int32, maximum: Int32)
        func store(_ acc: __m512i, count: Int, to out: UnsafeMutableRawPointer)
        /// `store` of `rows` vectors of accumulators, `acc + row · stride` into `out + row · outStride`.
        func storeRows(_ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int, to out: UnsafeMutableRawPointer, outStride: Int)
    }

    /// `LaneRequantization`'s results, bit for bit, from float arithmetic: 8 to 11 vector
    /// instructions per 16 outputs where the integer form takes 17. Only for parameters with
    /// `RequantizationVectors.fast` (multipliers m in [2^30, 2^31) or 0, no left shift, right
    /// shift 1 ≤ r ≤ 31).
    ///
    /// Why it is exact. Let H = ⌊(x·m + 2^30) / 2^31⌋ (the doubling high multiply). The rounding
    /// divide ⌊(H + 2^(r−1) − [H < 0]) / 2^r⌋ is, as a floor of a floor by an integer divisor
    /// is one floor, ⌊x·s + ½ + u⌋ where H ≥ 0 and ⌊x·s + ½ − u⌋ where H < 0, with
    /// s = m / 2^(31+r) and u = 2^−(r+1); where x < 0 but H = 0 both are 0, so the sign of x
    /// may choose. With t = u / s = 2^30 / m ≤ 1 and the zero point z, the output is
    /// ⌊W + ½⌋ for W = (x ± t)·s + z.
    ///
    /// W is computed in float — x, x ± t, s and t rounded to nearest, one fused multiply-add —
    /// with an error E ≤ 2^−24 · (4|P| + |z| + 1), P = (x ± t)·s. Unless the output is clamped,
    /// |W| ≤ 255.5, so |P| ≤ 510.5 and E < 2^−12.8. The kernel computes W twice, with z − δ and
    /// z + δ (δ = 2^−12), and rounds each to the nearest integer: when both give k, W lies
    /// strictly between k − ½ and k + ½ and the output is k. When they differ (a lane within δ
    /// of a rounding tie: one vector in 126–138 on the stock models), that vector is redone in integers. Where
    /// |P| > 510.5, W is beyond the output range by far more than the error, and the computed
    /// and the exact value clamp alike. |P| < 2^30 + 1 (s < ½), so converting cannot overflow.
    ///
    /// Where the clamp's minimum is at least z (a fused RELU or RELU6), the sign need not be
    /// looked at: for x < 0 the exact output is at most z (H ≤ 0), so clamped to the minimum,
    /// and the x ≥ 0 formula gives W = x·s + u + z ≤ z there too (s ≥ u); the constant
    /// u + z ± δ, rounded once more (by at most 2^−16), keeps E below 2^−13.
    struct FloatLaneRequantization: ByteRequantizer {
        /// The integer form's parameters (for the vectors redone), already at this group.
        let multiplier: UnsafePointer<Int32>, leftShift: UnsafePointer<Int32>, lanes: UnsafePointer<Int64>
        let scale: __m512, offset: __m512, below: __m512, above: __m512
        let outputZeroPoint: Int32, minimumValue: Int32, maximumValue: Int32
        let minimum: __m512i, maximum: __m512i
        /// Whether u is in `below` and `above` and the sign is not looked at (minimum ≥ z).
        let signless: Bool
        /// 0: clamp to [minimum, maximum] and truncate; 1: the INT8 range, a saturating
        /// narrowing does it; 2: the UINT8 range, at least 0 then an unsigned saturating one.
        let narrowing: Int

        @inline(__always)
        init(_ r: RequantizationVectors, column: Int, outputZeroPoint: Int32, minimum: Int32, maximum: Int32) {
            multiplier = r.multiplier + column
            leftShift = r.leftShift + column
            lanes = r.lanes + column / 16 &* RequantizationVectors.lanesPerGroup
            let base = r.scales + column / 16 &* RequantizationVectors.scalesPerGroup
            scale = _mm512_loadu_ps(base)
            offset = _mm512_loadu_ps(base + 16)
            let z = Float(outputZeroPoint)
            signless = minimum >= outputZeroPoint
            // u = t·s = 2^−(r+1), to within 2^−25.
            let u = signless ? _mm512_mul_ps(offset, scale) : _mm512_setzero_ps()
            below = _mm512_add_ps(u, _mm512_set1_ps(z - 0x1p-12))
            above = _mm512_add_ps(u, _mm512_set1_ps(z + 0x1p-12))
            self.outputZeroPoint = outputZeroPoint
            minimumValue = minimum
            maximumValue = maximum
            self.minimum = _mm512_set1_epi32(minimum)
            self.maximum = _mm512_set1_epi32(maximum)
            narrowing = minimum == -128 && maximum == 127 ? 1 : minimum == 0 && maximum == 255 ? 2 : 0
        }

        @inline(__always)
        func store(_ acc: __m512i, count: Int, to out: UnsafeMutableRawPointer) {
            store(_mm512_cvtepi32_ps(acc), exactly: { acc }, count: count, to: out)
        }

        /// The row loop with its loop-invariant choices — the sign handling, the narrowing,
        /// whole vectors or masked ones — made once, outside: inside, they were five branches
        /// per vector of 16 outputs besides the tie check.
        @inline(__always)
        func storeRows(_ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int, to out: UnsafeMutableRawPointer, outStride: Int) {
            // Each call with constant choices is its own loop once inlined (methods, not nested
            // functions: a nested one was left out of line, the requantizer passed in memory).
            let r = (acc, rows, stride, count, out, outStride), full = count == 16
            switch (signless, narrowing) {
            case (true, 1): full ? loop(r, true, 1, true) : loop(r, true, 1, false)
            case (true, 2): full ? loop(r, true, 2, true) : loop(r, true, 2, false)
            case (true, _): full ? loop(r, true, 0, true) : loop(r, true, 0, false)
            case (false, 1): full ? loop(r, false, 1, true) : loop(r, false, 1, false)
            case (false, 2): full ? loop(r, false, 2, true) : loop(r, false, 2, false)
            case (false, _): full ? loop(r, false, 0, true) : loop(r, false, 0, false)
            }
        }

        typealias Rows = (acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int, out: UnsafeMutableRawPointer, outStride: Int)

        @inline(__always)
        func loop(_ r: Rows, _ signless: Bool, _ narrowing: Int, _ full: Bool) {
            var a = r.acc, o = r.out
            for _ in 0..<r.rows {
                let v = full ? _mm512_loadu_si512(a) : _mm512_maskz_loadu_epi32(byteLaneMask(r.count), a)
                store(_mm512_cvtepi32_ps(v), exactly: { v }, count: full ? 16 : r.count, to: o, signless: signless, narrowing: narrowing)
                a += r.stride
                o += r.outStride
            }
        }

        /// `store` for accumulators given as floats (`x`, rounded to nearest if above 2^24);
        /// `exactly()` gives them as integers, for the vectors redone.
        @inline(__always)
        func store(_ x: __m512, exactly: () -> __m512i, count: Int, to out: UnsafeMutableRawPointer) {
            store(x, exactly: exactly, count: count, to: out, signless: signless, narrowing: narrowing)
        }

        /// `store` with the sign handling and the narrowing given (constants where a loop has
        /// chosen them once).
        @inline(__always)
        func store(_ x: __m512, exactly: () -> __m512i, count: Int, to out: UnsafeMutableRawPointer, signless: Bool, narrowing: Int) {
            // x + t with the sign of x (one vpternlogd and an add).
            let shifted = signless ? x : _mm512_add_ps(x, _mm512_or_ps(_mm512_and_ps(x, _mm512_set1_ps(-0.0)), offset))
            let low = _mm512_cvtps_epi32(_mm512_fmadd_ps(shifted, scale, below))
            let high = _mm512_cvtps_epi32(_mm512_fmadd_ps(shifted, scale, above))
            // Any lane where the two differ (vptestmd on their XOR: the standard library's
            // `any(_:)` on a SIMD mask has been seen left out of line as a generic call).
            let differ = _mm512_xor_si512(low, high)
            if _mm512_test_epi32_mask(differ, differ) != 0 {
                LaneRequantization(multiplier: multiplier, leftShift: leftShift, lanes: lanes, outputZeroPoint: outputZeroPoint,
                                   minimum: minimumValue, maximum: maximumValue).store(exactly(), count: count, to: out)
                return
            }
            let bytes: __m128i
            switch narrowing {
            case 1: bytes = _mm512_cvtsepi32_epi8(low)
            case 2: bytes = _mm512_cvtusepi32_epi8(_mm512_max_epi32(low, minimum))
            default: bytes = narrowClamped(_mm512_min_epi32(_mm512_max_epi32(low, minimum), maximum), signed: minimumValue < 0)
            }
            storeBytes(bytes, count: count, to: out)
        }
    }

    /// `MultiplyByQuantizedMultiplier` on 16 lanes (as `multiplyByQuantizedMultiplier` in
    /// Microkernels: `⌊(x·2^left·m + 2^30) / 2^31⌋`, then a rounding divide by 2^right), plus
    /// the output zero point, clamped, narrowed to bytes and stored, for the 16 channels from
    /// `column`: the parameters are loaded once, at `init`.
    struct LaneRequantization: ByteRequantizer {
        let m: __m512i, mOdd: __m512i, left: __m512i
        /// Whether any lane shifts left (multipliers above 1; convolutions have none).
        let shiftsLeft: Bool
        /// Per 64-bit lane (the even channels, then the odd ones): 2^30 + ⌊2^(right − 1)⌋ · 2^31,
        /// the correction 2^31 where right > 0, and the shift 31 + right.
        let addEven: __m512i, addOdd: __m512i, negativeEven: __m512i, negativeOdd: __m512i, shiftEven: __m512i, shiftOdd: __m512i
        let zeroPoint: __m512i, minimum: __m512i, maximum: __m512i
        /// Whether the clamp range reaches below 0 (it then lies in the INT8 range, else in UINT8's).
        let signedBytes: Bool

        @inline(__always)
        init(_ r: RequantizationVectors, column: Int, outputZeroPoint: Int32, minimum: Int32, maximum: Int32) {
            // `column` is a multiple of 16: the group's constants, computed at prepare.
            self.init(multiplier: r.multiplier + column, leftShift: r.leftShift + column, lanes: r.lanes + column / 16 &* RequantizationVectors.lanesPerGroup,
                      outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum)
        }

        /// The 16 channels whose multipliers and left shifts start at `multiplier` and
        /// `leftShift`, and their group of `RequantizationVectors.lanes` at `base`.
        @inline(__always)
        init(multiplier: UnsafePointer<Int32>, leftShift: UnsafePointer<Int32>, lanes base: UnsafePointer<Int64>,
             outputZeroPoint: Int32, minimum: Int32, maximum: Int32) {
            m = _mm512_loadu_si512(multiplier)
            mOdd = _mm512_srli_epi64(m, 32)
            left = _mm512_loadu_si512(leftShift)
            shiftsLeft = _mm512_test_epi32_mask(left, left) != 0
            addEven = _mm512_loadu_si512(base); addOdd = _mm512_loadu_si512(base + 8)
            negativeEven = _mm512_loadu_si512(base + 16); negativeOdd = _mm512_loadu_si512(base + 24)
            shiftEven = _mm512_loadu_si512(base + 32); shiftOdd = _mm512_loadu_si512(base + 40)
            zeroPoint = _mm512_set1_epi32(outputZeroPoint)
            self.minimum = _mm512_set1_epi32(minimum)
            self.maximum = _mm512_set1_epi32(maximum)
            signedBytes = minimum < 0
        }

        @inline(__always)
        func storeRows(_ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int, to out: UnsafeMutableRawPointer, outStride: Int) {
            for row in 0..<rows {
                store(_mm512_maskz_loadu_epi32(byteLaneMask(count), acc + row &* stride), count: count, to: out + row &* outStride)
            }
        }

        @inline(__always)
        func store(_ acc: __m512i, count: Int, to out: UnsafeMutableRawPointer) {
            var v = _mm512_add_epi32(requantize(acc), zeroPoint)
            v = _mm512_min_epi32(_mm512_max_epi32(v, minimum), maximum)
            storeBytes(narrowClamped(v, signed: signedBytes), count: count, to: out)
        }

        /// `MultiplyByQuantizedMultiplier` of each lane: no zero point, no clamp.
        ///
        /// With p = x·m and H = ⌊(p + 2^30) / 2^31⌋ (the doubling high multiply; m ≥ 0), the
        /// rounding divide ⌊(H + 2^(right−1) − [H < 0]) / 2^right⌋ (ties away from zero; at
        /// right 0 just H) is one 64-bit shift of p + 2^30 + 2^(right−1)·2^31, less 2^31 where
        /// p < 0. (H < 0 needs p < −2^30; for −2^30 ≤ p < 0, H is 0 and subtracting changes
        /// nothing: ⌊(2^(right−1) − 1) / 2^right⌋ = 0.) The sums cannot overflow (|p| < 2^62)
        /// and the result fits in 32 bits.
        @inline(__always)
        func requantize(_ acc: __m512i) -> __m512i {
            let x = shiftsLeft ? _mm512_sllv_epi32(acc, left) : acc
            // The odd lanes moved down by a shuffle (port 5) rather than a shift (port 0, where
            // the shifts and mask moves below already queue).
            let high = _mm512_castps_si512(_mm512_movehdup_ps(_mm512_castsi512_ps(x)))
            let even = _mm512_mul_epi32(x, m), odd = _mm512_mul_epi32(high, mOdd)
            let sumEven = _mm512_add_epi64(even, addEven), sumOdd = _mm512_add_epi64(odd, addOdd)
            let resultEven = _mm512_srav_epi64(_mm512_mask_sub_epi64(sumEven, _mm512_movepi64_mask(even), sumEven, negativeEven), shiftEven)
            let resultOdd = _mm512_srav_epi64(_mm512_mask_sub_epi64(sumOdd, _mm512_movepi64_mask(odd), sumOdd, negativeOdd), shiftOdd)
            // Each odd channel's result (the low half of its 64-bit lane) into the lane above.
            return _mm512_mask_permutexvar_epi32(resultEven, 0xAAAA, _mm512_set_epi32(14, 14, 12, 12, 10, 10, 8, 8, 6, 6, 4, 4, 2, 2, 0, 0), resultOdd)
        }
    }
}
#endif

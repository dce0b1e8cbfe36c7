#if arch(x86_64)
import _Builtin_intrinsics.intel
import Microkernels
import MicrokernelsAVX512

/// The integer matrix multiply with AVX-512 VNNI: `vpdpbusd` adds four byte products per
/// 32-bit lane, so one instruction does 64 multiply-adds, in exact integer arithmetic (see
/// `BytePanels` for the operands). Built with `-target-cpu icelake-server`; Ops calls it only
/// when the CPU reports AVX512_VNNI.
///
/// A call computes its rows `byteTileRows` (8) at a time against two 16-channel panels at a
/// time: 16 accumulator registers, enough independent chains to cover `vpdpbusd`'s latency.
/// The requantization (TFLite's `MultiplyByQuantizedMultiplier`, per channel) runs on the 16
/// lanes of each accumulator (`ByteRequantizers.swift`: in float where exact, else with 64-bit
/// even/odd products), narrowed to bytes in registers and stored.
package enum VNNIKernels {
    /// Copies `count` activation bytes, XOR `flip` (0x80 turns INT8 into its offset unsigned
    /// form), zero-pads the row to `padded` bytes and returns the sum of the stored bytes.
    /// `source` may equal `into`.
    package static func prepareRow(_ source: UnsafePointer<UInt8>, count: Int, padded: Int, flip: UInt8,
                                   into: UnsafeMutablePointer<UInt8>) -> Int32 {
        let f = _mm512_set1_epi8(Int8(bitPattern: flip))
        let zero = _mm512_setzero_si512()
        var total = zero
        var i = 0
        while i < padded {
            let loaded = byteMask(count &- i), stored = byteMask(padded &- i)
            let v = _mm512_maskz_mov_epi8(loaded, _mm512_xor_si512(_mm512_maskz_loadu_epi8(loaded, source + i), f))
            _mm512_mask_storeu_epi8(into + i, stored, v)
            total = _mm512_add_epi64(total, _mm512_sad_epu8(v, zero))
            i &+= 64
        }
        return Int32(truncatingIfNeeded: _mm512_reduce_add_epi64(total))
    }

    /// The patches of output pixels `first..<first + count` (batch · height · width order) of a
    /// convolution on 8-bit values (a network's first layer: few input channels), in the
    /// kernels' form (XOR `flip`), one row of `rowStride` bytes each; taps outside the input are
    /// `padding` (the raw byte of the input zero point). A row's bytes past the patch keep
    /// whatever they held (they meet zero weights); `sums`, when given, receives each patch's
    /// byte sum (for weights with zero points).
    ///
    /// `vectors.pixels` consecutive pixels of one output row whose windows lie inside the input
    /// take one vector: each filter row's bytes are loaded once (64 from the first pixel's
    /// window) and `vpermb` puts each patch byte in place (`BytePatchVectors`; needs
    /// AVX512_VBMI); other pixels are copied a filter row at a time with masked moves. Needs
    /// a column dilation of 1, `filterWidth · inputChannels ≤ 64` and `filterHeight ·
    /// filterWidth · inputChannels ≤ rowStride`.
    package static func gatherBytePatches(_ s: DirectConvolutionShape, input: UnsafePointer<UInt8>, first: Int, count: Int, padding: UInt8,
                                          flip: UInt8, vectors: BytePatchVectors, into rows: UnsafeMutablePointer<UInt8>, rowStride: Int,
                                          sums: UnsafeMutablePointer<Int32>?) {
        let f = _mm512_set1_epi8(Int8(bitPattern: flip))
        let pad = _mm512_set1_epi8(Int8(bitPattern: padding ^ flip))
        let channels = s.inputChannels, span = s.filterWidth &* channels
        let spanMask = byteMask(span), rowBytes = s.inputWidth &* channels
        let group = vectors.pixels, storeMask = byteMask(group &* rowStride)
        let patchBytes = s.filterHeight &* span, patchMask = byteMask(patchBytes), zero = _mm512_setzero_si512()
        /// The sum of the patch bytes of `v` at byte `offset` (a row of the vector).
        @inline(__always) func patchSum(_ v: __m512i, _ offset: Int) -> Int32 {
            Int32(truncatingIfNeeded: _mm512_reduce_add_epi64(_mm512_sad_epu8(_mm512_maskz_mov_epi8(patchMask << UInt64(offset), v), zero)))
        }
        // Output rows whose filter rows all lie inside the input.
        let top = s.padTop, reach = (s.filterHeight &- 1) &* s.dilationHeight
        var ox = first % s.outputWidth
        let rest = first / s.outputWidth
        var oy = rest % s.outputHeight, b = rest / s.outputHeight
        var r = 0
        while r < count {
            let left = ox &* s.strideWidth &- s.padLeft
            let y0 = oy &* s.strideHeight &- top
            let pixels: Int
            if group > 0 && r &+ group <= count && ox &+ group <= s.outputWidth && left >= 0
                && (ox &+ group &- 1) &* s.strideWidth &- s.padLeft &+ s.filterWidth <= s.inputWidth && y0 >= 0 && y0 &+ reach < s.inputHeight {
                // 64 bytes from the window's start, never past its input row (a plain load
                // where the row has them all).
                let start = left &* channels, whole = start &+ 64 <= rowBytes, loadMask = byteMask(rowBytes &- start)
                var v = _mm512_setzero_si512()
                for ky in 0..<s.filterHeight {
                    let line = input + (b &* s.inputHeight &+ y0 &+ ky &* s.dilationHeight) &* rowBytes
                    let chunk = whole ? _mm512_loadu_si512(line + start) : _mm512_maskz_loadu_epi8(loadMask, line + start)
                    v = _mm512_mask_permutexvar_epi8(v, vectors.masks[ky], _mm512_loadu_si512(vectors.indices + ky &* 64), chunk)
                }
                let stored = _mm512_xor_si512(v, f)
                _mm512_mask_storeu_epi8(rows + r &* rowStride, storeMask, stored)
                if let sums {
                    for p in 0..<group { sums[r &+ p] = patchSum(stored, p &* rowStride) }
                }
                pixels = group
            } else {
                let row = rows + r &* rowStride
                // Filter columns inside the input: kx in firstColumn..<endColumn.
                let firstColumn = max(0, -left), endColumn = min(s.filterWidth, s.inputWidth &- left)
                let inside = byteMask((endColumn &- firstColumn) &* channels)
                for ky in 0..<s.filterHeight {
                    let target = row + ky &* span
                    let iy = y0 &+ ky &* s.dilationHeight
                    if iy < 0 || iy >= s.inputHeight || firstColumn > 0 || endColumn < s.filterWidth {
                        _mm512_mask_storeu_epi8(target, spanMask, pad)
                    }
                    if iy >= 0 && iy < s.inputHeight && endColumn > firstColumn {
                        let line = input + (b &* s.inputHeight &+ iy) &* rowBytes
                        let v = _mm512_xor_si512(_mm512_maskz_loadu_epi8(inside, line + (left &+ firstColumn) &* channels), f)
                        _mm512_mask_storeu_epi8(target + firstColumn &* channels, inside, v)
                    }
                }
                if let sums { sums[r] = patchSum(_mm512_maskz_loadu_epi8(patchMask, row), 0) }
                pixels = 1
            }
            r &+= pixels
            ox &+= pixels
            if ox == s.outputWidth {
                ox = 0
                oy &+= 1
                if oy == s.outputHeight { oy = 0; b &+= 1 }
            }
        }
    }

    /// `output[i] = table[input[i]]` for `count` bytes, 64 at a time: two `vpermi2b` look up the
    /// index's low 7 bits in the table's two halves, its top bit picks one. Needs AVX512_VBMI
    /// (the caller checks). `table` holds 256 bytes.
    package static func byteTable(_ input: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, count: Int,
                                  table: UnsafePointer<UInt8>) {
        let t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64)
        let t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192)
        var i = 0
        while i < count {
            let mask = byteMask(count &- i)
            let x = _mm512_maskz_loadu_epi8(mask, input + i)
            let low = _mm512_permutex2var_epi8(t0, x, t1), high = _mm512_permutex2var_epi8(t2, x, t3)
            _mm512_mask_storeu_epi8(output + i, mask, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), low, high))
            i &+= 64
        }
    }

    /// The first `count` (clamped to 0…64) bits set.
    @inline(__always)
    static func byteMask(_ count: Int) -> __mmask64 {
        count >= 64 ? ~0 : count <= 0 ? 0 : (1 << UInt64(count)) &- 1
    }

    /// Requantized 8-bit output rows, any number of them (8 at a time); `rowSums[r]` is row
    /// r's `Σ a` (read only when the weights have zero points). With `flipInto`, the rows are
    /// raw INT8 values, `aStride` bytes each with no padding, that become the kernels' unsigned
    /// form (XOR 0x80) on the way: for one or two panels in registers as they are broadcast,
    /// for more (where each broadcast would be flipped once per pair of panels) by a copy of
    /// each tile's rows into `flipInto` (8 · `aStride` bytes rounded up to a multiple of 64).
    package static func rows(_ p: BytePanels, rows: Int, a: UnsafePointer<UInt8>, aStride: Int, flipInto: UnsafeMutablePointer<UInt8>? = nil,
                             rowSums: UnsafePointer<Int32>, out: UnsafeMutableRawPointer, outStride: Int) {
        // A call covers many tiles: with a call per tile, the calls, their set-up and the copy
        // of flipped rows were 40 % of a 1×1 convolution with 16 outputs. Each panel's
        // accumulators go through a small stack tile to the 16-lane requantizer, aligned to a
        // cache line by hand (a vector stored across two lines costs both: V2's 1×1 layers ran
        // 10–15 % slower in a build whose stack put it so; asking the allocation for an
        // alignment of 64 put it on the heap).
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: byteTileRows * 16 + 16) { buffer in
            guard let base = buffer.baseAddress else { return }
            let tile = base + (64 &- Int(bitPattern: base) & 63) / 4 & 15
            // Paired, V2's 1×1 convolutions with one or two panels: 112×112×32 → 16 0.77, 56×56×144
            // → 24 0.86 in registers, 0.83 and 0.93 with copies.
            if flipInto != nil && p.panels <= 2 {
                var done = 0
                while done < rows {
                    let part = min(byteTileRows, rows &- done), sink = RequantizingSink(p: p, out: out + done &* outStride, outStride: outStride, tile: tile)
                    if part == 1 {
                        runRow(p, a: a + done &* aStride, flip: true, rowSums: rowSums + done, sink)
                    } else {
                        run(p, rows: part, a: a + done &* aStride, aStride: aStride, flip: true, rowSums: rowSums + done, sink)
                    }
                    done &+= byteTileRows
                }
                return
            }
            var done = 0
            while done < rows {
                let part = min(byteTileRows, rows &- done)
                var source = a + done &* aStride
                if let flipInto {
                    flipBytes(source, count: part &* aStride, into: flipInto)
                    source = UnsafePointer(flipInto)
                }
                let sink = RequantizingSink(p: p, out: out + done &* outStride, outStride: outStride, tile: tile)
                if part == 1 {
                    runRow(p, a: source, flip: false, rowSums: rowSums + done, sink)
                } else {
                    run(p, rows: part, a: source, aStride: aStride, flip: false, rowSums: rowSums + done, sink)
                }
                done &+= byteTileRows
            }
        }
    }

    /// Copies `count` INT8 bytes XOR 0x80 (their unsigned form for the kernels) in whole
    /// vectors: `into` has room for `count` rounded up to a multiple of 64. (Masked stores
    /// were slower: loads that read what a masked store wrote wait for it to retire.)
    @inline(__always)
    package static func flipBytes(_ source: UnsafePointer<UInt8>, count: Int, into: UnsafeMutablePointer<UInt8>) {
        let f = _mm512_set1_epi8(-128)
        var i = 0
        while i < count {
            let mask = byteMask(count &- i)
            _mm512_storeu_si512(into + i, _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, source + i), f))
            i &+= 64
        }
    }

    /// The Int32 accumulators alone (for kernels that requantize differently), up to 8 rows.
    package static func accumulatorRows(_ p: BytePanels, rows: Int, a: UnsafePointer<UInt8>, aStride: Int, rowSums: UnsafePointer<Int32>,
                                        out: UnsafeMutablePointer<Int32>, outStride: Int) {
        if rows == 1 {
            runRow(p, a: a, flip: false, rowSums: rowSums, AccumulatorSink(out: out, outStride: outStride))
        } else {
            run(p, rows: rows, a: a, aStride: aStride, flip: false, rowSums: rowSums, AccumulatorSink(out: out, outStride: outStride))
        }
    }

    /// Where `run` puts a panel's finished accumulators: `columns` once per panel, `store`
    /// per row, then `finish`.
    protocol TileSink {
        associatedtype Columns
        func columns(_ column: Int, count: Int) -> Columns
        func store(_ acc: __m512i, row: Int, _ columns: Columns)
        func finish(_ columns: Columns, rows: Int)
    }

    struct RequantizingSink: TileSink {
        let p: BytePanels
        let out: UnsafeMutableRawPointer
        let outStride: Int
        let tile: UnsafeMutablePointer<Int32>

        @inline(__always)
        func columns(_ column: Int, count: Int) -> (column: Int, count: Int) { (column, count) }

        @inline(__always)
        func store(_ acc: __m512i, row: Int, _ c: (column: Int, count: Int)) {
            _mm512_storeu_si512(tile + row &* 16, acc)
        }

        @inline(__always)
        func finish(_ c: (column: Int, count: Int), rows: Int) {
            let r = p.requantization
            let shifted = r.advanced(by: c.column)
            // This module's inlined copy (ByteRequantizers.swift), not a call into MicrokernelsAVX512.
            InstructionSetKernels.requantizeByteRows(shifted, tile, rows: rows, stride: 16, count: c.count, outputZeroPoint: p.outputZeroPoint,
                                                     minimum: p.minimum, maximum: p.maximum, into: out + c.column, outStride: outStride)
        }
    }

    struct AccumulatorSink: TileSink {
        let out: UnsafeMutablePointer<Int32>
        let outStride: Int

        @inline(__always)
        func columns(_ column: Int, count: Int) -> (UnsafeMutablePointer<Int32>, __mmask16) { (out + column, InstructionSetKernels.laneMask(count)) }

        @inline(__always)
        func store(_ acc: __m512i, row: Int, _ c: (UnsafeMutablePointer<Int32>, __mmask16)) {
            _mm512_mask_storeu_epi32(c.0 + row &* outStride, c.1, acc)
        }

        @inline(__always)
        func finish(_ c: (UnsafeMutablePointer<Int32>, __mmask16), rows: Int) {}
    }


    /// Bytes `4·group ..< 4·group + 4` of `row` in every lane, XOR 0x80 each with `flip`.
    @inline(__always)
    static func broadcast(_ row: UnsafePointer<UInt8>, _ group: Int, _ flip: Bool) -> __m512i {
        let v = _mm512_set1_epi32(Int32(bitPattern: UnsafeRawPointer(row + group &* 4).loadUnaligned(as: UInt32.self)))
        return flip ? _mm512_xor_si512(v, _mm512_set1_epi8(-128)) : v
    }

    /// The accumulators of every panel for up to 8 rows, each finished (column term and row
    /// sum correction added) and handed to `store(acc, row, firstChannel, channelCount)`.
    @inline(__always)
    static func run<Sink: TileSink>(_ p: BytePanels, rows: Int, a: UnsafePointer<UInt8>, aStride: Int, flip: Bool, rowSums: UnsafePointer<Int32>,
                                    _ sink: Sink) {
        // Rows past `rows` repeat row 0: computed, never stored.
        let a0 = a
        let a1 = rows > 1 ? a + aStride : a, a2 = rows > 2 ? a + 2 &* aStride : a, a3 = rows > 3 ? a + 3 &* aStride : a
        let a4 = rows > 4 ? a + 4 &* aStride : a, a5 = rows > 5 ? a + 5 &* aStride : a
        let a6 = rows > 6 ? a + 6 &* aStride : a, a7 = rows > 7 ? a + 7 &* aStride : a
        let groups = p.groups
        let panelBytes = groups &* 64
        var panel = 0
        while panel < p.panels {
            let w0 = p.weights + panel &* panelBytes
            if panel &+ 1 < p.panels {
                let w1 = w0 + panelBytes
                let z = _mm512_setzero_si512()
                var c00 = z, c10 = z, c20 = z, c30 = z, c40 = z, c50 = z, c60 = z, c70 = z
                var c01 = z, c11 = z, c21 = z, c31 = z, c41 = z, c51 = z, c61 = z, c71 = z
                var g = 0
                while g < groups {
                    let b0 = _mm512_load_si512(w0 + g &* 64), b1 = _mm512_load_si512(w1 + g &* 64)
                    var x = broadcast(a0, g, flip)
                    c00 = _mm512_dpbusd_epi32(c00, x, b0); c01 = _mm512_dpbusd_epi32(c01, x, b1)
                    x = broadcast(a1, g, flip)
                    c10 = _mm512_dpbusd_epi32(c10, x, b0); c11 = _mm512_dpbusd_epi32(c11, x, b1)
                    x = broadcast(a2, g, flip)
                    c20 = _mm512_dpbusd_epi32(c20, x, b0); c21 = _mm512_dpbusd_epi32(c21, x, b1)
                    x = broadcast(a3, g, flip)
                    c30 = _mm512_dpbusd_epi32(c30, x, b0); c31 = _mm512_dpbusd_epi32(c31, x, b1)
                    x = broadcast(a4, g, flip)
                    c40 = _mm512_dpbusd_epi32(c40, x, b0); c41 = _mm512_dpbusd_epi32(c41, x, b1)
                    x = broadcast(a5, g, flip)
                    c50 = _mm512_dpbusd_epi32(c50, x, b0); c51 = _mm512_dpbusd_epi32(c51, x, b1)
                    x = broadcast(a6, g, flip)
                    c60 = _mm512_dpbusd_epi32(c60, x, b0); c61 = _mm512_dpbusd_epi32(c61, x, b1)
                    x = broadcast(a7, g, flip)
                    c70 = _mm512_dpbusd_epi32(c70, x, b0); c71 = _mm512_dpbusd_epi32(c71, x, b1)
                    g &+= 1
                }
                let column0 = panel &* 16
                finishPanel(sink, p, column: column0, rowSums: rowSums, rows: rows, (c00, c10, c20, c30, c40, c50, c60, c70))
                finishPanel(sink, p, column: column0 &+ 16, rowSums: rowSums, rows: rows, (c01, c11, c21, c31, c41, c51, c61, c71))
                panel &+= 2
            } else {
                let z = _mm512_setzero_si512()
                var c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z
                var g = 0
                while g < groups {
                    let b0 = _mm512_load_si512(w0 + g &* 64)
                    c0 = _mm512_dpbusd_epi32(c0, broadcast(a0, g, flip), b0)
                    c1 = _mm512_dpbusd_epi32(c1, broadcast(a1, g, flip), b0)
                    c2 = _mm512_dpbusd_epi32(c2, broadcast(a2, g, flip), b0)
                    c3 = _mm512_dpbusd_epi32(c3, broadcast(a3, g, flip), b0)
                    c4 = _mm512_dpbusd_epi32(c4, broadcast(a4, g, flip), b0)
                    c5 = _mm512_dpbusd_epi32(c5, broadcast(a5, g, flip), b0)
                    c6 = _mm512_dpbusd_epi32(c6, broadcast(a6, g, flip), b0)
                    c7 = _mm512_dpbusd_epi32(c7, broadcast(a7, g, flip), b0)
                    g &+= 1
                }
                finishPanel(sink, p, column: panel &* 16, rowSums: rowSums, rows: rows, (c0, c1, c2, c3, c4, c5, c6, c7))
                panel &+= 1
            }
        }
    }

    /// `run` for one row (a 7×7 image's 49th pixel, a batch of one): eight panels at a time,
    /// each broadcast feeding eight `vpdpbusd` — where the 8-row kernel would compute eight
    /// rows to keep one (a seventh of a 7×7 layer's work).
    @inline(never)
    static func runRow<Sink: TileSink>(_ p: BytePanels, a: UnsafePointer<UInt8>, flip: Bool, rowSums: UnsafePointer<Int32>, _ sink: Sink) {
        let groups = p.groups
        let panelBytes = groups &* 64
        var panel = 0
        while panel < p.panels {
            // Panels past the last repeat the first: computed, never stored.
            let count = min(8, p.panels &- panel)
            let w0 = p.weights + panel &* panelBytes
            let w1 = count > 1 ? w0 + panelBytes : w0, w2 = count > 2 ? w0 + 2 &* panelBytes : w0, w3 = count > 3 ? w0 + 3 &* panelBytes : w0
            let w4 = count > 4 ? w0 + 4 &* panelBytes : w0, w5 = count > 5 ? w0 + 5 &* panelBytes : w0
            let w6 = count > 6 ? w0 + 6 &* panelBytes : w0, w7 = count > 7 ? w0 + 7 &* panelBytes : w0
            let z = _mm512_setzero_si512()
            var c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z
            var g = 0
            while g < groups {
                let x = broadcast(a, g, flip), o = g &* 64
                c0 = _mm512_dpbusd_epi32(c0, x, _mm512_load_si512(w0 + o)); c1 = _mm512_dpbusd_epi32(c1, x, _mm512_load_si512(w1 + o))
                c2 = _mm512_dpbusd_epi32(c2, x, _mm512_load_si512(w2 + o)); c3 = _mm512_dpbusd_epi32(c3, x, _mm512_load_si512(w3 + o))
                c4 = _mm512_dpbusd_epi32(c4, x, _mm512_load_si512(w4 + o)); c5 = _mm512_dpbusd_epi32(c5, x, _mm512_load_si512(w5 + o))
                c6 = _mm512_dpbusd_epi32(c6, x, _mm512_load_si512(w6 + o)); c7 = _mm512_dpbusd_epi32(c7, x, _mm512_load_si512(w7 + o))
                g &+= 1
            }
            finishPanel(sink, p, column: panel &* 16, rowSums: rowSums, rows: 1, (c0, c0, c0, c0, c0, c0, c0, c0))
            if count > 1 { finishPanel(sink, p, column: (panel &+ 1) &* 16, rowSums: rowSums, rows: 1, (c1, c1, c1, c1, c1, c1, c1, c1)) }
            if count > 2 { finishPanel(sink, p, column: (panel &+ 2) &* 16, rowSums: rowSums, rows: 1, (c2, c2, c2, c2, c2, c2, c2, c2)) }
            if count > 3 { finishPanel(sink, p, column: (panel &+ 3) &* 16, rowSums: rowSums, rows: 1, (c3, c3, c3, c3, c3, c3, c3, c3)) }
            if count > 4 { finishPanel(sink, p, column: (panel &+ 4) &* 16, rowSums: rowSums, rows: 1, (c4, c4, c4, c4, c4, c4, c4, c4)) }
            if count > 5 { finishPanel(sink, p, column: (panel &+ 5) &* 16, rowSums: rowSums, rows: 1, (c5, c5, c5, c5, c5, c5, c5, c5)) }
            if count > 6 { finishPanel(sink, p, column: (panel &+ 6) &* 16, rowSums: rowSums, rows: 1, (c6, c6, c6, c6, c6, c6, c6, c6)) }
            if count > 7 { finishPanel(sink, p, column: (panel &+ 7) &* 16, rowSums: rowSums, rows: 1, (c7, c7, c7, c7, c7, c7, c7, c7)) }
            panel &+= 8
        }
    }

    /// Finishes one panel's accumulators for `rows` rows (column terms and row-sum correction)
    /// and hands them to the sink.
    @inline(__always)
    static func finishPanel<Sink: TileSink>(_ sink: Sink, _ p: BytePanels, column: Int, rowSums: UnsafePointer<Int32>, rows: Int,
                                            _ c: (__m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i)) {
        let t = Finisher(p, column, rowSums)
        let s = sink.columns(column, count: min(16, p.n &- column))
        sink.store(t(c.0, 0), row: 0, s)
        if rows > 1 { sink.store(t(c.1, 1), row: 1, s) }
        if rows > 2 { sink.store(t(c.2, 2), row: 2, s) }
        if rows > 3 { sink.store(t(c.3, 3), row: 3, s) }
        if rows > 4 { sink.store(t(c.4, 4), row: 4, s) }
        if rows > 5 { sink.store(t(c.5, 5), row: 5, s) }
        if rows > 6 { sink.store(t(c.6, 6), row: 6, s) }
        if rows > 7 { sink.store(t(c.7, 7), row: 7, s) }
        sink.finish(s, rows: rows)
    }

    /// Adds the column terms of channels `column ..< column + 16` and, when the weights have
    /// zero points, subtracts `b_zp[c] · rowSums[r]`.
    struct Finisher {
        let terms: __m512i
        let zeroPoints: __m512i?
        let rowSums: UnsafePointer<Int32>

        @inline(__always)
        init(_ p: BytePanels, _ column: Int, _ rowSums: UnsafePointer<Int32>) {
            terms = _mm512_load_si512(p.columnTerms + column)
            zeroPoints = p.weightZeroPoints.map { _mm512_load_si512($0 + column) }
            self.rowSums = rowSums
        }

        @inline(__always)
        func callAsFunction(_ acc: __m512i, _ r: Int) -> __m512i {
            let sum = _mm512_add_epi32(acc, terms)
            guard let zeroPoints else { return sum }
            return _mm512_sub_epi32(sum, _mm512_mullo_epi32(zeroPoints, _mm512_set1_epi32(rowSums[r])))
        }
    }

}
#endif

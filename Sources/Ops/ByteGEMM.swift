import Microkernels
#if arch(x86_64)
import MicrokernelsVNNI
#endif

/// Quantized weights packed for the byte matrix multiply (AVX-512 VNNI, `vpdpbusd`): the
/// products are the reference's integers, summed in Int32, with the zero points folded into
/// per-channel column terms and a per-row correction (see `BytePanels`). One byte per weight.
///
/// Activations enter as unsigned bytes: INT8 values XOR 0x80 (x + 128), UINT8 as they are;
/// weights as signed bytes: INT8 as they are, UINT8 minus 128.
package final class PackedByteWeights {
    let k: Int
    let n: Int
    let groups: Int
    let panels: Int
    let data: AlignedBuffer<Int8>
    let columnTerms: AlignedBuffer<Int32>
    let weightZeroPoints: AlignedBuffer<Int32>?
    /// XOR applied to each activation byte (0x80 for INT8 inputs).
    let flip: UInt8
    /// The raw input byte of the input zero point: what padding positions of a patch hold.
    let paddingByte: UInt8

    /// Bytes of one padded activation row.
    var rowBytes: Int { groups * 4 }

    /// Nil where the CPU level has no byte kernels or the zero points do not fit the byte
    /// forms (then the float-exact kernels run).
    init?(weights: IntegerConstant, weightZeroPoints: [Int32], signed: Bool, inputZeroPoint: Int32, n: Int, k: Int, bias: [Int32]?, isa: KernelISA) {
        #if arch(x86_64)
        guard isa == .avx512vnni, k >= 1, n >= 1 else { return nil }
        let aOffset: Int32 = signed ? -128 : 0, bOffset: Int32 = signed ? 0 : 128
        let aZero = inputZeroPoint - aOffset
        guard (0...255).contains(aZero) else { return nil }
        let bZeros = (0..<n).map { (weightZeroPoints.count == 1 ? weightZeroPoints[0] : weightZeroPoints[$0]) - bOffset }
        guard bZeros.allSatisfy({ (-255...255).contains($0) }) else { return nil }
        self.k = k
        self.n = n
        groups = (k + 3) / 4
        panels = (n + 15) / 16
        flip = signed ? 0x80 : 0
        paddingByte = UInt8(truncatingIfNeeded: inputZeroPoint)
        data = AlignedBuffer(count: panels * groups * 64, repeating: 0)
        columnTerms = AlignedBuffer(count: panels * 16, repeating: 0)
        let kTerm = Int32(truncatingIfNeeded: k)
        for channel in 0..<n {
            let panel = channel / 16, lane = channel % 16
            var sum: Int32 = 0
            for i in 0..<k {
                let b = weights[channel * k + i] - bOffset
                data.pointer[((panel * groups + i / 4) * 16 + lane) * 4 + i % 4] = Int8(truncatingIfNeeded: b)
                sum &+= b
            }
            columnTerms.pointer[channel] = (bias?[channel] ?? 0) &- aZero &* sum &+ kTerm &* aZero &* bZeros[channel]
        }
        if bZeros.allSatisfy({ $0 == 0 }) {
            self.weightZeroPoints = nil
        } else {
            let buffer = AlignedBuffer<Int32>(count: panels * 16, repeating: 0)
            for channel in 0..<n { buffer.pointer[channel] = bZeros[channel] }
            self.weightZeroPoints = buffer
        }
        #else
        return nil
        #endif
    }

    /// Copies `count` input bytes to `row` in the kernels' form (XOR `flip`, zero-padded to
    /// `rowBytes`) and returns their sum. `source` may equal `row`.
    @inline(__always)
    func prepareRow(_ source: UnsafeRawPointer, into row: UnsafeMutablePointer<UInt8>) -> Int32 {
        #if arch(x86_64)
        VNNIKernels.prepareRow(source.assumingMemoryBound(to: UInt8.self), count: k, padded: rowBytes, flip: flip, into: row)
        #else
        0
        #endif
    }

    /// Whether the kernels read the rows' sums (the weights have zero points).
    var needsRowSums: Bool { weightZeroPoints != nil }

    /// The kernels' view of every panel, with `q`'s requantization (the pointers stay valid
    /// as long as both objects live).
    func panelsView(_ q: PackedQuantizedWeights) -> BytePanels {
        BytePanels(groups: groups, n: n, panels: panels, weights: UnsafeRawPointer(data.pointer), columnTerms: UnsafePointer(columnTerms.pointer),
                   weightZeroPoints: weightZeroPoints.map { UnsafePointer($0.pointer) }, requantization: q.requantization.vectors,
                   outputZeroPoint: q.outputZeroPoint, minimum: q.minimum, maximum: q.maximum)
    }
}

extension PackedQuantizedWeights {
    /// Computes `rows` output rows (any number) from prepared byte rows
    /// (`PackedByteWeights.prepareRow`, `rowBytes` apart) with their sums, or, with `flipInto`
    /// (8 · `rowBytes` bytes rounded up to a multiple of 64), from raw INT8 rows that need no
    /// padding (`rowBytes == k`) and no sums. `scratch` holds `byteTileScratchBytes`. `panels`
    /// limits the call to those output panels (default all).
    @inline(__always)
    func multiplyBytes<Output: FixedWidthInteger>(_ bytes: PackedByteWeights, rows: Int, a: UnsafePointer<UInt8>,
                                                  flipInto: UnsafeMutablePointer<UInt8>? = nil, rowSums: UnsafePointer<Int32>,
                                                  out whole: UnsafeMutablePointer<Output>, outStride: Int, scratch: UnsafeMutableRawPointer,
                                                  panels range: Range<Int>? = nil) {
        #if arch(x86_64)
        guard let view = byteView else { return }
        let p = range.map { view.panels($0.lowerBound, count: $0.count) } ?? view
        let column = (range?.lowerBound ?? 0) * 16
        let out = whole + column
        if let doubleScales {
            let tile = scratch.assumingMemoryBound(to: Int32.self)
            for r in 0..<rows {
                var row = a + r * bytes.rowBytes
                if let flipInto {
                    VNNIKernels.flipBytes(row, count: bytes.rowBytes, into: flipInto)
                    row = UnsafePointer(flipInto)
                }
                VNNIKernels.accumulatorRows(p, rows: 1, a: row, aStride: bytes.rowBytes, rowSums: rowSums + r, out: tile, outStride: 0)
                requantizeInDouble(tile, doubleScales, into: whole + r * outStride, channels: column..<column + p.n)
            }
            return
        }
        VNNIKernels.rows(p, rows: rows, a: a, aStride: bytes.rowBytes, flipInto: flipInto, rowSums: rowSums, out: UnsafeMutableRawPointer(out),
                         outStride: outStride)
        #endif
    }

    /// Scratch for `multiplyBytes`: one row of accumulators for the double-rounded path.
    var byteTileScratchBytes: Int { panels * isa.panelWidth * 4 }
}

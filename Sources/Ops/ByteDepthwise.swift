#if arch(x86_64)
import Microkernels
import MicrokernelsVNNI

/// An INT8 or UINT8 3×3 or 5×5 depthwise convolution (multiplier 1, dilation 1) on bytes, at
/// AVX512_VNNI with VBMI (`VNNIKernels.depthwiseByteRow`): sums of products of the input
/// bytes (unsigned: INT8 XOR 0x80, x + 128) and the zero-point-free weights, in Int32 — exact,
/// as the reference's — from a bias less what the offset bytes add:
/// Σ w · (x − z) = Σ w · u − (z + o) · Σ w, for u = x + o, o = 128 for INT8 and 0 for UINT8.
/// Taps outside the input read the zero point (u = z + o), which adds nothing, as the
/// reference skips them. Requantized as the other integer kernels.
///
/// Each thread keeps the filter's height of input rows as `VNNIKernels.blockedByteRow` slots
/// across its output rows (a stride-1 row is copied once), and one slot of padding.
final class ByteDepthwiseKernel: Kernel {
    let shape: DepthwiseShape
    /// Per block of 16 channels, the filter rows as `depthwiseByteRow` takes them.
    let weights: AlignedBuffer<Int8>
    /// Per channel, padded to whole blocks.
    let bias: AlignedBuffer<Int32>
    let requantization: RequantizationBuffers
    let outputZeroPoint: Int32, minimum: Int32, maximum: Int32
    let flip: UInt8, fill: UInt8
    let threads: Int
    /// Columns and bytes of a row slot (`blockedByteRow`).
    let pixels: Int, blockStride: Int, slotBytes: Int

    /// Nil where the shape, the CPU or the values do not fit: a filter other than 3×3 or 5×5,
    /// a multiplier or dilation other than 1, zero-point-free weights beyond −128…127, a bias
    /// whose sums could leave Int32.
    init?(shape s: DepthwiseShape, weights w: [Int32], bias b: [Int32], requantization: RequantizationBuffers, signed: Bool, inputZeroPoint: Int32,
          outputZeroPoint: Int32, minimum: Int32, maximum: Int32, threads: Int, isa: KernelISA) {
        let size = s.filterHeight, taps = size * size
        guard isa.hasByteTableLookups, size == 3 || size == 5, s.filterWidth == size, s.multiplier == 1, s.dilationHeight == 1, s.dilationWidth == 1,
              s.outputWidth >= 1, s.channels >= 1, w.count >= taps * s.channels, b.count >= s.channels,
              w.prefix(taps * s.channels).allSatisfy({ (-128...127).contains($0) }) else { return nil }
        let channels = s.channels, blocks = (channels + 15) / 16
        let offset: Int64 = signed ? 128 : 0
        let filterBytes = VNNIKernels.byteFilterBytes(size: size), quads = (size + 3) / 4
        var packed = [Int8](repeating: 0, count: blocks * filterBytes)
        var adjusted = [Int32](repeating: 0, count: blocks * 16 + 16)
        for c in 0..<channels {
            var sum: Int64 = 0
            for ky in 0..<size {
                for kx in 0..<size {
                    let value = w[(ky * size + kx) * channels + c]
                    packed[c / 16 * filterBytes + (ky * quads + kx / 4) * 64 + c % 16 * 4 + kx % 4] = Int8(value)
                    sum += Int64(value)
                }
            }
            // At most 25 products of at most 128 · 255 each way on top of the bias.
            let start = Int64(b[c]) - (Int64(inputZeroPoint) + offset) * sum
            guard start.magnitude < (1 << 31) - (1 << 23) else { return nil }
            adjusted[c] = Int32(start)
        }
        shape = s
        weights = AlignedBuffer(packed)
        bias = AlignedBuffer(adjusted)
        self.requantization = requantization
        self.outputZeroPoint = outputZeroPoint
        self.minimum = minimum
        self.maximum = maximum
        flip = signed ? 0x80 : 0
        fill = UInt8(truncatingIfNeeded: inputZeroPoint) ^ flip
        self.threads = max(1, threads)
        pixels = saturatingSum(saturatingProduct(s.outputWidth - 1, s.strideWidth), 4 * quads)
        blockStride = VNNIKernels.byteRowBlockStride(pixels: pixels)
        slotBytes = saturatingProduct(blockStride, blocks)
    }

    /// A thread's scratch: which input row each of the filter's rows of slots holds (and
    /// whether the padding slot is filled), the pointers to an output row's input slots, then
    /// the slots.
    private var sliceBytes: Int { saturatingSum(128, saturatingProduct(shape.filterHeight + 1, slotBytes)) }
    var scratchByteCount: Int { saturatingProduct(threads, sliceBytes) }

    func eval(_ args: KernelArguments) {
        let scratch = args.scratch.unsafelyUnwrapped
        // Each thread's slots are kept across its ranges in this invoke only (the input changes).
        for thread in 0..<min(threads, args.runner.threadCount) {
            let keys = (scratch + thread * sliceBytes).assumingMemoryBound(to: Int.self)
            for slot in 0...shape.filterHeight { keys[slot] = .min }
        }
        let context = (self, args.inputs[0].unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self), args.outputs[0], scratch)
        args.runner.forEachChunk(count: shape.outputRows, context: context) { c, thread, rows in
            c.0.run(rows, input: c.1, output: c.2, slice: c.3 + thread * c.0.sliceBytes)
        }
    }

    private func run(_ rows: Range<Int>, input: UnsafePointer<UInt8>, output: UnsafeMutableRawPointer, slice: UnsafeMutableRawPointer) {
        let s = shape
        let size = s.filterHeight
        let keys = slice.assumingMemoryBound(to: Int.self)
        let rowPointers = (slice + 64).assumingMemoryBound(to: UnsafePointer<UInt8>.self)
        let slots = (slice + 128).assumingMemoryBound(to: UInt8.self)
        let rowBytes = s.inputWidth * s.channels
        let r = requantization.vectors
        for row in rows {
            let batch = row / s.outputHeight
            let top = row % s.outputHeight * s.strideHeight - s.padTop
            // Input row `top + ky`'s slot, copied there unless a slot holds it already.
            func slot(_ ky: Int) -> UnsafePointer<UInt8> {
                let iy = top + ky
                guard iy >= 0, iy < s.inputHeight else {
                    let padding = slots + size * slotBytes
                    if keys[size] != 1 {
                        VNNIKernels.blockedByteRow(nil, width: s.inputWidth, channels: s.channels, padLeft: s.padLeft, pixels: pixels, flip: flip,
                                                   fill: fill, into: padding, blockStride: blockStride)
                        keys[size] = 1
                    }
                    return UnsafePointer(padding)
                }
                let key = batch * s.inputHeight + iy, first = batch * s.inputHeight + top
                var free = 0
                for j in 0..<size {
                    if keys[j] == key { return UnsafePointer(slots + j * slotBytes) }
                    if keys[j] < first || keys[j] >= first + size { free = j }
                }
                // This row needs `size` input rows at most, so one of the `size` slots is free.
                let to = slots + free * slotBytes
                keys[free] = key
                VNNIKernels.blockedByteRow(input + key * rowBytes, width: s.inputWidth, channels: s.channels, padLeft: s.padLeft, pixels: pixels,
                                           flip: flip, fill: fill, into: to, blockStride: blockStride)
                return UnsafePointer(to)
            }
            for ky in 0..<size { rowPointers[ky] = slot(ky) }
            VNNIKernels.depthwiseByteRow(size: size, rowPointers, blockStride: blockStride, weights: UnsafePointer(weights.pointer),
                                         bias: UnsafePointer(bias.pointer), channels: s.channels, outputWidth: s.outputWidth, stride: s.strideWidth, r,
                                         outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum,
                                         into: output + row * s.outputWidth * s.channels)
        }
    }
}
#endif

#if arch(x86_64)
import Microkernels
import MicrokernelsVNNI

/// An INT8 or UINT8 3×3 depthwise convolution (multiplier 1, dilation 1) on bytes, at
/// AVX512_VNNI with VBMI (`VNNIKernels.depthwiseByteRow3x3`): sums of products of the input
/// bytes (unsigned: INT8 XOR 0x80, x + 128) and the zero-point-free weights, in Int32 — exact,
/// as the reference's — from a bias less what the offset bytes add:
/// Σ w · (x − z) = Σ w · u − (z + o) · Σ w, for u = x + o, o = 128 for INT8 and 0 for UINT8.
/// Taps outside the input read the zero point (u = z + o), which adds nothing, as the
/// reference skips them. Requantized as the other integer kernels.
///
/// Each thread keeps three input rows as `VNNIKernels.blockedByteRow` slots across its output
/// rows (a stride-1 row is copied once) and a fourth of padding.
final class ByteDepthwiseKernel: Kernel {
    let shape: DepthwiseShape
    /// Per block of 16 channels, the filter rows as `depthwiseByteRow3x3` takes them.
    let weights: AlignedBuffer<Int8>
    /// Per channel, padded to whole blocks.
    let bias: AlignedBuffer<Int32>
    let requantization: RequantizationBuffers
    let outputZeroPoint: Int32, minimum: Int32, maximum: Int32
    let flip: UInt8, fill: UInt8
    let threads: Int
    /// Columns and bytes of a row slot (`blockedByteRow`).
    let pixels: Int, blockStride: Int, slotBytes: Int

    /// Nil where the shape, the CPU or the values do not fit: a filter other than 3×3, a
    /// multiplier or dilation other than 1, zero-point-free weights beyond −128…127, a bias
    /// whose sums could leave Int32.
    init?(shape s: DepthwiseShape, weights w: [Int32], bias b: [Int32], requantization: RequantizationBuffers, signed: Bool, inputZeroPoint: Int32,
          outputZeroPoint: Int32, minimum: Int32, maximum: Int32, threads: Int, isa: KernelISA) {
        guard isa.hasByteTableLookups, s.filterHeight == 3, s.filterWidth == 3, s.multiplier == 1, s.dilationHeight == 1, s.dilationWidth == 1,
              s.outputWidth >= 1, s.channels >= 1, w.count >= 9 * s.channels, b.count >= s.channels,
              w.prefix(9 * s.channels).allSatisfy({ (-128...127).contains($0) }) else { return nil }
        let channels = s.channels, blocks = (channels + 15) / 16
        let offset: Int64 = signed ? 128 : 0
        var packed = [Int8](repeating: 0, count: blocks * 192)
        var adjusted = [Int32](repeating: 0, count: blocks * 16 + 16)
        for c in 0..<channels {
            var sum: Int64 = 0
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let value = w[(ky * 3 + kx) * channels + c]
                    packed[c / 16 * 192 + ky * 64 + c % 16 * 4 + kx] = Int8(value)
                    sum += Int64(value)
                }
            }
            // Nine products of at most 128 · 255 each way on top of the bias.
            let start = Int64(b[c]) - (Int64(inputZeroPoint) + offset) * sum
            guard start.magnitude < (1 << 31) - (1 << 20) else { return nil }
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
        pixels = saturatingSum(saturatingProduct(s.outputWidth - 1, s.strideWidth), 4)
        blockStride = VNNIKernels.byteRowBlockStride(pixels: pixels)
        slotBytes = saturatingProduct(blockStride, blocks)
    }

    /// A thread's scratch: which input row each of the three slots holds (and whether the
    /// padding slot is filled), then the slots.
    private var sliceBytes: Int { saturatingSum(64, saturatingProduct(4, slotBytes)) }
    var scratchByteCount: Int { saturatingProduct(threads, sliceBytes) }

    func eval(_ args: KernelArguments) {
        let scratch = args.scratch.unsafelyUnwrapped
        // Each thread's slots are kept across its ranges in this invoke only (the input changes).
        for thread in 0..<min(threads, args.runner.threadCount) {
            let keys = (scratch + thread * sliceBytes).assumingMemoryBound(to: Int.self)
            for slot in 0..<4 { keys[slot] = .min }
        }
        let context = (self, args.inputs[0].unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self), args.outputs[0], scratch)
        args.runner.forEachChunk(count: shape.outputRows, context: context) { c, thread, rows in
            c.0.run(rows, input: c.1, output: c.2, slice: c.3 + thread * c.0.sliceBytes)
        }
    }

    private func run(_ rows: Range<Int>, input: UnsafePointer<UInt8>, output: UnsafeMutableRawPointer, slice: UnsafeMutableRawPointer) {
        let s = shape
        let keys = slice.assumingMemoryBound(to: Int.self)
        let slots = (slice + 64).assumingMemoryBound(to: UInt8.self)
        let rowBytes = s.inputWidth * s.channels
        let r = requantization.vectors
        for row in rows {
            let batch = row / s.outputHeight
            let top = row % s.outputHeight * s.strideHeight - s.padTop
            // Input row `top + ky`'s slot, copied there unless a slot holds it already.
            func slot(_ ky: Int) -> UnsafePointer<UInt8> {
                let iy = top + ky
                guard iy >= 0, iy < s.inputHeight else {
                    let padding = slots + 3 * slotBytes
                    if keys[3] != 1 {
                        VNNIKernels.blockedByteRow(nil, width: s.inputWidth, channels: s.channels, padLeft: s.padLeft, pixels: pixels, flip: flip,
                                                   fill: fill, into: padding, blockStride: blockStride)
                        keys[3] = 1
                    }
                    return UnsafePointer(padding)
                }
                let key = batch * s.inputHeight + iy, first = batch * s.inputHeight + top
                var free = 0
                for j in 0..<3 {
                    if keys[j] == key { return UnsafePointer(slots + j * slotBytes) }
                    if keys[j] < first || keys[j] > first + 2 { free = j }
                }
                // This row needs three input rows at most, so one of the three slots is free.
                let to = slots + free * slotBytes
                keys[free] = key
                VNNIKernels.blockedByteRow(input + key * rowBytes, width: s.inputWidth, channels: s.channels, padLeft: s.padLeft, pixels: pixels,
                                           flip: flip, fill: fill, into: to, blockStride: blockStride)
                return UnsafePointer(to)
            }
            VNNIKernels.depthwiseByteRow3x3((slot(0), slot(1), slot(2)), blockStride: blockStride, weights: UnsafePointer(weights.pointer), bias: UnsafePointer(bias.pointer),
                                            channels: s.channels, outputWidth: s.outputWidth, stride: s.strideWidth, r,
                                            outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum,
                                            into: output + row * s.outputWidth * s.channels)
        }
    }
}
#endif

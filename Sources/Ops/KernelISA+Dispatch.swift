import Microkernels
import MicrokernelsAVX2
import MicrokernelsAVX512

/// Row helpers of the integer kernels, run with the micro-kernels of the chosen level.
extension KernelISA {
    /// `to[i] = Float(source[i] − zeroPoint)` for INT8 or UINT8 `source`.
    @inline(__always)
    func zeroPointFreeFloats<Element: FixedWidthInteger>(_ source: UnsafePointer<Element>, count: Int, zeroPoint: Int32,
                                                          into to: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(source)
        switch self {
        case .avx512 where Element.self == Int8.self, .avx512vnni where Element.self == Int8.self:
            MicrokernelsAVX512.InstructionSetKernels.zeroPointFreeFloats(raw.assumingMemoryBound(to: Int8.self), count: count, zeroPoint: zeroPoint, into: to)
        case .avx512, .avx512vnni:
            MicrokernelsAVX512.InstructionSetKernels.zeroPointFreeFloats(raw.assumingMemoryBound(to: UInt8.self), count: count, zeroPoint: zeroPoint, into: to)
        case .avx2 where Element.self == Int8.self:
            MicrokernelsAVX2.InstructionSetKernels.zeroPointFreeFloats(raw.assumingMemoryBound(to: Int8.self), count: count, zeroPoint: zeroPoint, into: to)
        case .avx2:
            MicrokernelsAVX2.InstructionSetKernels.zeroPointFreeFloats(raw.assumingMemoryBound(to: UInt8.self), count: count, zeroPoint: zeroPoint, into: to)
        case .baseline:
            Microkernels.zeroPointFreeFloats(source, count: count, zeroPoint: zeroPoint, into: to)
        }
    }

    /// Each channel's sum over `rows` rows of `channels` floats, rows in order from +0
    /// (`Microkernels.sumRows`): the same floats at every level.
    @inline(__always)
    func sumRows(_ input: UnsafePointer<Float>, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Float>) {
        switch self {
        case .avx512, .avx512vnni: MicrokernelsAVX512.InstructionSetKernels.sumRows(input, rows: rows, channels: channels, into: sums)
        case .avx2: MicrokernelsAVX2.InstructionSetKernels.sumRows(input, rows: rows, channels: channels, into: sums)
        case .baseline: Microkernels.sumRows(SIMD8<Float>.self, input, rows: rows, channels: channels, into: sums)
        }
    }

    /// Each channel's sum over `rows` rows of `channels` INT8 or UINT8 values, added into `sums`
    /// (wrapping Int32; `Microkernels.addByteRows`).
    @inline(__always)
    func addByteRows<Element: FixedWidthInteger>(_ input: UnsafePointer<Element>, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Int32>) {
        let raw = UnsafeRawPointer(input), signed = Element.self == Int8.self
        switch self {
        case .avx512, .avx512vnni:
            MicrokernelsAVX512.InstructionSetKernels.addByteRows(raw, signed: signed, rows: rows, channels: channels, into: sums)
        case .avx2:
            MicrokernelsAVX2.InstructionSetKernels.addByteRows(raw, signed: signed, rows: rows, channels: channels, into: sums)
        case .baseline:
            Microkernels.addByteRows(input, rows: rows, channels: channels, into: sums)
        }
    }

    /// `out[i] = clamp(x[i] op y[i])` over `count` values, `x` or `y` a single value repeated
    /// when not `contiguous` (`Microkernels.floatBinary`).
    @inline(__always)
    func floatBinary(_ operation: FloatBinaryOperation, _ x: UnsafePointer<Float>, contiguous xContiguous: Bool, _ y: UnsafePointer<Float>,
                     contiguous yContiguous: Bool, _ out: UnsafeMutablePointer<Float>, count: Int, minimum: Float, maximum: Float) {
        switch self {
        case .avx512, .avx512vnni:
            MicrokernelsAVX512.InstructionSetKernels.floatBinary(operation, x, contiguous: xContiguous, y, contiguous: yContiguous, out, count: count,
                                                                 minimum: minimum, maximum: maximum)
        case .avx2:
            MicrokernelsAVX2.InstructionSetKernels.floatBinary(operation, x, contiguous: xContiguous, y, contiguous: yContiguous, out, count: count,
                                                               minimum: minimum, maximum: maximum)
        case .baseline:
            Microkernels.floatBinary(operation, x, contiguous: xContiguous, y, contiguous: yContiguous, out, count: count,
                                     minimum: minimum, maximum: maximum)
        }
    }

    /// FLOAT32 HARD_SWISH (`Microkernels.hardSwish`) over `count` values; `output` may be `input`.
    @inline(__always)
    func hardSwish(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .avx512, .avx512vnni: MicrokernelsAVX512.InstructionSetKernels.hardSwish(input, output, count: count)
        case .avx2: MicrokernelsAVX2.InstructionSetKernels.hardSwish(input, output, count: count)
        case .baseline: Microkernels.hardSwish(input, output, count: count)
        }
    }

    /// Requantizes `rows` rows of `count` accumulators (channels 0..<count, rows `stride`
    /// apart) into INT8 or UINT8 `out` (rows `stride` apart).
    @inline(__always)
    package func requantizeRows<Output: FixedWidthInteger>(_ r: RequantizationVectors, _ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int,
                                                   outputZeroPoint: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutablePointer<Output>) {
        let raw = UnsafeMutableRawPointer(out)
        switch self {
        case .avx512, .avx512vnni:
            #if arch(x86_64)
            MicrokernelsAVX512.InstructionSetKernels.requantizeRows16(r, acc, rows: rows, stride: stride, count: count, outputZeroPoint: outputZeroPoint,
                                                                      minimum: minimum, maximum: maximum, into: raw)
            #endif
        case .avx2 where Output.self == Int8.self:
            MicrokernelsAVX2.InstructionSetKernels.requantizeRows(r, acc, rows: rows, stride: stride, count: count, outputZeroPoint: outputZeroPoint,
                                                                  minimum: minimum, maximum: maximum, into: raw.assumingMemoryBound(to: Int8.self))
        case .avx2:
            MicrokernelsAVX2.InstructionSetKernels.requantizeRows(r, acc, rows: rows, stride: stride, count: count, outputZeroPoint: outputZeroPoint,
                                                                  minimum: minimum, maximum: maximum, into: raw.assumingMemoryBound(to: UInt8.self))
        case .baseline:
            r.requantizeRows(acc, rows: rows, accStride: stride, channel: 0, count: count, outputZeroPoint: outputZeroPoint,
                             minimum: minimum, maximum: maximum, into: out, outStride: stride)
        }
    }
}

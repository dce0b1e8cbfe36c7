import Ops
import TFLiteCore

/// Helpers shared by the tests of the data-movement ops (SQUEEZE, PAD, CONCATENATION, TRANSPOSE,
/// SHAPE, STRIDED_SLICE, PACK): their references work on element indices and copy raw bytes, so
/// one reference covers every element size.
enum DataMovement {
    /// Row-major element strides of `shape`.
    static func strides(_ shape: [Int]) -> [Int] {
        var result = [Int](repeating: 1, count: shape.count)
        var step = 1
        for d in shape.indices.reversed() {
            result[d] = step
            step *= shape[d]
        }
        return result
    }

    /// The row-major multi-index of element `flat` of `shape`.
    static func index(_ flat: Int, in shape: [Int]) -> [Int] {
        var rest = flat
        var result = [Int](repeating: 0, count: shape.count)
        for d in shape.indices.reversed() {
            result[d] = rest % shape[d]
            rest /= shape[d]
        }
        return result
    }

    static func offset(_ index: [Int], in shape: [Int]) -> Int {
        zip(index, strides(shape)).reduce(0) { $0 + $1.0 * $1.1 }
    }

    static func randomShape(rank: Int, maxDim: Int, _ rng: inout SeededGenerator, allowZero: Bool = false) -> [Int] {
        (0..<rank).map { _ in Int.random(in: (allowZero ? 0 : 1)...maxDim, using: &rng) }
    }

    static func randomBytes(_ count: Int, _ rng: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Element `i` of a byte array of `size`-byte elements.
    static func element(_ bytes: [UInt8], _ i: Int, size: Int) -> ArraySlice<UInt8> {
        bytes[(i * size)..<((i + 1) * size)]
    }

    /// Types of every element size the ops copy.
    static let typesBySize: [DataType] = [.int8, .uint8, .int16, .float32, .int32, .int64, .complex128]
}

extension KernelHarness.Input {
    /// An input given as raw bytes (`shape`'s elements of `type`).
    static func bytes(_ type: DataType, _ shape: [Int], _ bytes: [UInt8], quantization: QuantizationParameters? = nil,
                      constant: Bool = false) -> KernelHarness.Input {
        KernelHarness.Input(type, shape, bytes, quantization: quantization, constant: constant)
    }

    /// A constant INT32 vector (a permutation, paddings, begin/end/strides).
    static func int32(_ values: [Int], shape: [Int]? = nil) -> KernelHarness.Input {
        KernelHarness.Input(.int32, shape ?? [values.count], values.map { Int32($0) }, constant: true)
    }
}

func quantization(_ scale: Float, _ zeroPoint: Int64) -> QuantizationParameters {
    QuantizationParameters(scales: [scale], zeroPoints: [zeroPoint])
}

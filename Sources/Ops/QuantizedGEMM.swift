/// The integer matrix multiply behind quantized CONV_2D and FULLY_CONNECTED, exact as TFLite's
/// reference kernels: `acc = bias[n] + Σ_k (x[k] − x_zp)(w[n][k] − w_zp)` in Int32, then
/// `out = clamp(MultiplyByQuantizedMultiplier(acc, m[n], s[n]) + out_zp)`.
///
/// The tile multiplies in float, exactly: with zero points removed, every product is an integer
/// of magnitude ≤ 255 · 255, so a sum of up to 64 of them stays below 2^22 and is exact in
/// float in any order. The tile sums chunks of 64 in float SIMD registers and adds each chunk
/// to Int32 accumulators — the reference's integers, computed at float speed. Weights are
/// packed once, at prepare, with their zero point removed, into 8-channel panels
/// `[panel][k][8]`; rows arrive with the input zero point removed (padding is 0).
package final class PackedQuantizedWeights {
    let k: Int
    let n: Int
    let panels: Int
    let data: AlignedBuffer<Float>
    let bias: AlignedBuffer<Int32>
    let requantizers: [PreparedMultiplier]
    let outputZeroPoint: Int32
    let minimum: Int32
    let maximum: Int32
    /// When set, the accumulator is requantized as `round(Double(acc) × scale[n])` (LiteRT's
    /// reference int8 FULLY_CONNECTED) instead of by the fixed-point multiplier.
    let doubleScales: AlignedBuffer<Double>?

    /// - Parameters:
    ///   - weights: `[n][k]` raw weight values, already widened.
    ///   - weightZeroPoints: one per channel (or one for all).
    ///   - scales: per-channel (multiplier, shift) for the requantization.
    init(weights: [Int32], weightZeroPoints: [Int32], n: Int, k: Int, bias: [Int32]?, requantization: [QuantizedMultiplier],
         outputZeroPoint: Int32, minimum: Int32, maximum: Int32, doubleScales: [Double]? = nil) {
        self.k = k
        self.n = n
        panels = (n + 7) / 8
        data = AlignedBuffer(count: panels * k * 8, repeating: 0)
        for channel in 0..<n {
            let zp = weightZeroPoints.count == 1 ? weightZeroPoints[0] : weightZeroPoints[channel]
            let panel = channel / 8, lane = channel % 8
            for i in 0..<k { data.pointer[(panel * k + i) * 8 + lane] = Float(weights[channel * k + i] - zp) }
        }
        self.bias = AlignedBuffer(count: panels * 8, repeating: 0)
        requantizers = (0..<(panels * 8)).map { channel in
            PreparedMultiplier(requantization.count == 1 ? requantization[0] : channel < requantization.count ? requantization[channel] : QuantizedMultiplier(0))
        }
        for channel in 0..<n { self.bias.pointer[channel] = bias?[channel] ?? 0 }
        self.outputZeroPoint = outputZeroPoint
        self.minimum = minimum
        self.maximum = maximum
        if let doubleScales {
            let buffer = AlignedBuffer<Double>(count: panels * 8, repeating: 0)
            for channel in 0..<n { buffer.pointer[channel] = doubleScales.count == 1 ? doubleScales[0] : doubleScales[channel] }
            self.doubleScales = buffer
        } else {
            self.doubleScales = nil
        }
    }

    /// The largest number of products summed in float before moving to Int32: 64 · 255² < 2^22,
    /// the range in which `exactInteger` converts.
    static let exactChunk = 64

    /// An integer-valued float of magnitude < 2^22 as Int32, exactly: adding 1.5 · 2^23 puts the
    /// integer in the low mantissa bits.
    @inline(__always)
    static func exactInteger(_ value: SIMD8<Float>) -> SIMD8<Int32> {
        unsafeBitCast(value + SIMD8(repeating: 12_582_912), to: SIMD8<Int32>.self) &- SIMD8(repeating: 0x4B40_0000)
    }

    /// Computes up to 4 rows of output (`rows` 1…4) from rows of `k` zero-point-free values
    /// (integers of magnitude ≤ 255, held as floats).
    @inline(__always)
    func multiply<Output: FixedWidthInteger>(rows: Int, a0: UnsafePointer<Float>, a1: UnsafePointer<Float>, a2: UnsafePointer<Float>,
                                             a3: UnsafePointer<Float>, out: UnsafeMutablePointer<Output>, outStride: Int) {
        let k = self.k
        for panel in 0..<panels {
            let b = UnsafeRawPointer(data.pointer + panel * k * 8)
            let biasVector = UnsafeRawPointer(bias.pointer + panel * 8).load(as: SIMD8<Int32>.self)
            var c0 = biasVector, c1 = biasVector, c2 = biasVector, c3 = biasVector
            var start = 0
            while start < k {
                let end = min(start + Self.exactChunk, k)
                var f0 = SIMD8<Float>(), f1 = SIMD8<Float>(), f2 = SIMD8<Float>(), f3 = SIMD8<Float>()
                var i = start
                while i < end {
                    let w = b.load(fromByteOffset: i &* 32, as: SIMD8<Float>.self)
                    f0 += SIMD8(repeating: a0[i]) * w
                    f1 += SIMD8(repeating: a1[i]) * w
                    f2 += SIMD8(repeating: a2[i]) * w
                    f3 += SIMD8(repeating: a3[i]) * w
                    i &+= 1
                }
                c0 &+= Self.exactInteger(f0)
                c1 &+= Self.exactInteger(f1)
                c2 &+= Self.exactInteger(f2)
                c3 &+= Self.exactInteger(f3)
                start = end
            }
            let column = panel * 8
            let width = min(8, n - column)
            requantize(c0, out + column, column, width)
            if rows > 1 { requantize(c1, out + outStride + column, column, width) }
            if rows > 2 { requantize(c2, out + 2 * outStride + column, column, width) }
            if rows > 3 { requantize(c3, out + 3 * outStride + column, column, width) }
        }
    }

    @inline(__always)
    private func requantize<Output: FixedWidthInteger>(_ acc: SIMD8<Int32>, _ to: UnsafeMutablePointer<Output>, _ column: Int, _ width: Int) {
        if let doubleScales {
            for lane in 0..<width {
                let scaled = (Double(acc[lane]) * doubleScales.pointer[column + lane]).rounded(.toNearestOrAwayFromZero)
                let value = Int32(clamping: Int64(max(min(scaled, 4e9), -4e9))) &+ outputZeroPoint
                to[lane] = Output(truncatingIfNeeded: min(max(value, minimum), maximum))
            }
            return
        }
        requantizers.withUnsafeBufferPointer { requantizers in
        for lane in 0..<width {
            var value = requantizers[column + lane].apply(acc[lane])
            value = value &+ outputZeroPoint
            value = min(max(value, minimum), maximum)
            to[lane] = Output(truncatingIfNeeded: value)
        }
        }
    }
}

/// Quantization parameters shared by quantized CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED,
/// computed as TFLite's `PopulateConvolutionQuantizationParams` does.
package struct ConvolutionQuantization {
    package var inputZeroPoint: Int32
    package var weightZeroPoints: [Int32]
    package var outputZeroPoint: Int32
    package var requantization: [QuantizedMultiplier]
    package var minimum: Int32
    package var maximum: Int32

    /// - Parameters: `channels` = output channels; `channelDimension` = the weight dimension
    ///   per-channel scales run along; `floatScaleProduct`: take input scale × weight scale in
    ///   float before dividing in double, as TFLite's `GetQuantizedConvolutionMultipler` does
    ///   (the uint8 convolutions and per-tensor FULLY_CONNECTED); else all in double, as
    ///   `PopulateConvolutionQuantizationParams` does.
    ///   `weightZeroPointsApply`: false for the INT8 convolutions, whose reference kernels take
    ///   weights as symmetric and ignore any zero point the file gives them.
    package init(input: TensorDescription, weights: TensorDescription, output: TensorDescription, channels: Int,
                 channelDimension: Int, activation: FusedActivationKind, floatScaleProduct: Bool,
                 weightZeroPointsApply: Bool = true) throws(OpError) {
        let (inputScale, inputZeroPoint) = try input.perTensorQuantization("input")
        let (outputScale, outputZeroPoint) = try output.perTensorQuantization("output")
        guard let wq = weights.quantization, !wq.scales.isEmpty, wq.scales.count == wq.zeroPoints.count else {
            throw .invalidQuantization("the weights have no quantization parameters")
        }
        guard wq.scales.count == 1 || (wq.scales.count == channels && wq.quantizedDimension == channelDimension) else {
            throw .invalidQuantization("\(wq.scales.count) weight scales for \(channels) output channels")
        }
        guard wq.scales.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw .invalidQuantization("a weight scale is not a positive number") }
        var zeroPoints: [Int32] = []
        for zp in wq.zeroPoints {
            guard let z = Int32(exactly: zp), (-255...255).contains(z) else { throw .invalidQuantization("weight zero point \(zp) is out of range") }
            zeroPoints.append(z)
        }
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        weightZeroPoints = weightZeroPointsApply ? zeroPoints : zeroPoints.map { _ in 0 }
        if floatScaleProduct {
            requantization = wq.scales.map { scale in
                QuantizedMultiplier(Double(inputScale * scale) / Double(outputScale))
            }
        } else {
            requantization = wq.scales.map { scale in
                QuantizedMultiplier(Double(inputScale) * Double(scale) / Double(outputScale))
            }
        }
        guard let range = output.type.quantizedRange else { throw .unsupportedType("output type \(output.type.schemaName)") }
        (minimum, maximum) = quantizedActivationRange(activation, scale: outputScale, zeroPoint: outputZeroPoint, qmin: range.min, qmax: range.max)
    }
}

/// Reads a constant quantized tensor (INT8 or UINT8) widened to Int32.
package func widenedConstant(_ tensor: TensorDescription, _ what: String) throws(OpError) -> [Int32] {
    switch tensor.type {
    case .int8:
        guard let values = tensor.constantValues(as: Int8.self), values.count >= tensor.elementCount else { throw .notConstant("\(what) must be constant") }
        return values.prefix(tensor.elementCount).map { Int32($0) }
    case .uint8:
        guard let values = tensor.constantValues(as: UInt8.self), values.count >= tensor.elementCount else { throw .notConstant("\(what) must be constant") }
        return values.prefix(tensor.elementCount).map { Int32($0) }
    default:
        throw .unsupportedType("\(what) of type \(tensor.type.schemaName)")
    }
}

/// Reads an optional constant INT32 bias of `count` elements.
package func constantBias32(_ tensor: TensorDescription?, count: Int) throws(OpError) -> [Int32]? {
    guard let tensor else { return nil }
    guard tensor.type == .int32 else { throw .unsupportedType("bias of type \(tensor.type.schemaName); quantized ops take INT32") }
    guard tensor.elementCount == count else { throw .invalidShape("bias has \(tensor.elementCount) elements for \(count) channels") }
    guard let values = tensor.constantValues(as: Int32.self), values.count >= count else { throw .notConstant("the bias must be constant") }
    return Array(values.prefix(count))
}

/// Reads an optional constant FLOAT32 bias of `count` elements.
package func constantBiasFloat(_ tensor: TensorDescription?, count: Int) throws(OpError) -> UnsafeBufferPointer<Float>? {
    guard let tensor else { return nil }
    guard tensor.type == .float32 else { throw .unsupportedType("bias of type \(tensor.type.schemaName); float ops take FLOAT32") }
    guard tensor.elementCount == count else { throw .invalidShape("bias has \(tensor.elementCount) elements for \(count) channels") }
    guard let values = tensor.constantValues(as: Float.self), values.count >= count else { throw .notConstant("the bias must be constant") }
    return UnsafeBufferPointer(rebasing: values[0..<count])
}

import Microkernels
import MicrokernelsAVX2
import MicrokernelsAVX512

/// The integer matrix multiply behind quantized CONV_2D and FULLY_CONNECTED, exact as TFLite's
/// reference kernels: `acc = bias[n] + Σ_k (x[k] − x_zp)(w[n][k] − w_zp)` in Int32, then
/// `out = clamp(MultiplyByQuantizedMultiplier(acc, m[n], s[n]) + out_zp)`.
///
/// The tile multiplies in float, exactly: with zero points removed, every product is an integer
/// of magnitude ≤ 255 · 255, so a sum of up to 64 of them stays below 2^22 and is exact in
/// float in any order. The tile sums chunks of 64 in float SIMD registers and adds each chunk
/// to Int32 accumulators — the reference's integers, computed at float speed. Weights are
/// packed once, at prepare, with their zero point removed, into panels of 8 or 16 channels
/// (`packPanels`, by instruction-set level); rows arrive with the input zero point removed
/// (padding is 0).
package final class PackedQuantizedWeights {
    let isa: KernelISA
    let k: Int
    let n: Int
    let panels: Int
    /// Float panels for the float-exact kernels (empty when `bytes` is set).
    let data: AlignedBuffer<Float>
    /// Byte panels, where the CPU has the byte dot-product kernels.
    let bytes: PackedByteWeights?
    /// The byte kernels' view of every panel (`PackedByteWeights.panelsView`), made once: a
    /// tile's call takes it or a range of it.
    private(set) var byteView: BytePanels?
    let bias: AlignedBuffer<Int32>
    let requantization: RequantizationBuffers
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
    ///   - signed: INT8 (true) or UINT8 inputs and weights.
    ///   - allowBytes: false keeps the float panels even where the byte kernels exist.
    init(weights: IntegerConstant, weightZeroPoints: [Int32], n: Int, k: Int, bias: [Int32]?, requantization: [QuantizedMultiplier],
         outputZeroPoint: Int32, minimum: Int32, maximum: Int32, doubleScales: [Double]? = nil, signed: Bool, inputZeroPoint: Int32,
         allowBytes: Bool = true, isa: KernelISA = .current) {
        self.isa = isa
        self.k = k
        self.n = n
        let width = isa.panelWidth
        panels = (n + width - 1) / width
        bytes = !allowBytes ? nil : PackedByteWeights(weights: weights, weightZeroPoints: weightZeroPoints, signed: signed, inputZeroPoint: inputZeroPoint,
                                  n: n, k: k, bias: bias, isa: isa)
        if bytes != nil {
            data = AlignedBuffer(count: 0, repeating: 0)
        } else {
            data = packPanels(n: n, k: k, width: width) { channel, i in
                Float(weights[channel * k + i] - (weightZeroPoints.count == 1 ? weightZeroPoints[0] : weightZeroPoints[channel]))
            }
        }
        self.bias = AlignedBuffer(count: panels * width, repeating: 0)
        for channel in 0..<n { self.bias.pointer[channel] = bias?[channel] ?? 0 }
        self.requantization = RequantizationBuffers(
            (0..<n).map { requantization.count == 1 ? requantization[0] : requantization[$0] }, paddedTo: panels * width)
        self.outputZeroPoint = outputZeroPoint
        self.minimum = minimum
        self.maximum = maximum
        if let doubleScales {
            let buffer = AlignedBuffer<Double>(count: panels * width, repeating: 0)
            for channel in 0..<n { buffer.pointer[channel] = doubleScales.count == 1 ? doubleScales[0] : doubleScales[channel] }
            self.doubleScales = buffer
        } else {
            self.doubleScales = nil
        }
        byteView = bytes?.panelsView(self)
    }

    /// Scratch one `multiply` call needs for its accumulator tile (or, for the double-rounded
    /// FULLY_CONNECTED, one row of accumulators).
    var tileScratchBytes: Int { max(gemmTileRows * 16, panels * isa.panelWidth) * 4 }

    /// Computes `rows` (1…4) rows of output from rows of `k` zero-point-free values (integers
    /// of magnitude ≤ 255, held as floats, `aStride` apart). `scratch` holds
    /// `tileScratchBytes`.
    @inline(__always)
    func multiply<Output: FixedWidthInteger>(rows: Int, a: UnsafePointer<Float>, aStride: Int, out: UnsafeMutablePointer<Output>,
                                             outStride: Int, scratch: UnsafeMutableRawPointer) {
        let tile = scratch.assumingMemoryBound(to: Int32.self)
        let p = IntegerGEMMPanels(k: k, n: n, panels: panels, weights: UnsafeRawPointer(data.pointer), bias: UnsafePointer(bias.pointer),
                                  requantization: requantization.vectors, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum)
        if let doubleScales {
            // LiteRT's reference int8 FULLY_CONNECTED: the exact accumulators, then
            // `round(Double(acc) × scale[c])`, one row at a time through the tile scratch.
            for r in 0..<rows {
                switch isa {
                case .avx512, .avx512vnni: MicrokernelsAVX512.InstructionSetKernels.integerAccumulatorRows(p, rows: 1, a: a + r * aStride, aStride: aStride, out: tile, outStride: 0)
                case .avx2: MicrokernelsAVX2.InstructionSetKernels.integerAccumulatorRows(p, rows: 1, a: a + r * aStride, aStride: aStride, out: tile, outStride: 0)
                case .baseline:
                    integerGEMMAccumulatorRows(SIMD8<Float>.self, p, rows: 1, a: a + r * aStride, aStride: aStride, out: tile, outStride: 0,
                                               fused: KernelISA.baselineFuses)
                }
                requantizeInDouble(tile, doubleScales, into: out + r * outStride)
            }
            return
        }
        switch isa {
        case .avx512, .avx512vnni:
            if Output.self == Int8.self {
                MicrokernelsAVX512.InstructionSetKernels.integerRows(p, rows: rows, a: a, aStride: aStride, out: UnsafeMutableRawPointer(out).assumingMemoryBound(to: Int8.self),
                                          outStride: outStride, scratch: tile)
            } else {
                MicrokernelsAVX512.InstructionSetKernels.integerRows(p, rows: rows, a: a, aStride: aStride, out: UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt8.self),
                                          outStride: outStride, scratch: tile)
            }
        case .avx2:
            if Output.self == Int8.self {
                MicrokernelsAVX2.InstructionSetKernels.integerRows(p, rows: rows, a: a, aStride: aStride, out: UnsafeMutableRawPointer(out).assumingMemoryBound(to: Int8.self),
                                        outStride: outStride, scratch: tile)
            } else {
                MicrokernelsAVX2.InstructionSetKernels.integerRows(p, rows: rows, a: a, aStride: aStride, out: UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt8.self),
                                        outStride: outStride, scratch: tile)
            }
        case .baseline:
            integerGEMMRows(SIMD8<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, scratch: tile,
                            fused: KernelISA.baselineFuses)
        }
    }
}

extension PackedQuantizedWeights {
    /// LiteRT's reference int8 FULLY_CONNECTED requantization of one row of accumulators:
    /// `round(Double(acc) × scale[c])` + output zero point, clamped: output channels `channels`
    /// (all by default) from their accumulators `acc[0...]` into `out[channels]`.
    @inline(__always)
    func requantizeInDouble<Output: FixedWidthInteger>(_ acc: UnsafePointer<Int32>, _ scales: AlignedBuffer<Double>, into out: UnsafeMutablePointer<Output>,
                                                       channels: Range<Int>? = nil) {
        let channels = channels ?? 0..<n
        for channel in channels {
            let scaled = (Double(acc[channel - channels.lowerBound]) * scales.pointer[channel]).rounded(.toNearestOrAwayFromZero)
            let value = Int32(clamping: Int64(max(min(scaled, 4e9), -4e9))) &+ outputZeroPoint
            out[channel] = Output(truncatingIfNeeded: min(max(value, minimum), maximum))
        }
    }
}

/// Per-channel requantization parameters laid out as lane vectors for the micro-kernels
/// (`RequantizationVectors`), zero-padded.
package final class RequantizationBuffers {
    let multiplier: AlignedBuffer<Int32>
    let leftShift: AlignedBuffer<Int32>
    let rightShift: AlignedBuffer<Int32>
    let mask: AlignedBuffer<Int32>
    /// `RequantizationVectors.lanes`.
    let lanes: AlignedBuffer<Int64>
    /// `RequantizationVectors.scales` and `fast`.
    let scales: AlignedBuffer<Float>
    let fast: Bool

    /// `paddedTo` is rounded up to a multiple of 16 lanes; `extraLeftShift` is added to every
    /// channel's left shift (the inputs of quantized ADD are shifted left 20 bits first).
    package init(_ multipliers: [QuantizedMultiplier], paddedTo count: Int, extraLeftShift: Int32 = 0) {
        let padded = (max(count, multipliers.count) + 15) / 16 * 16
        multiplier = AlignedBuffer(count: padded, repeating: 0)
        leftShift = AlignedBuffer(count: padded, repeating: 0)
        rightShift = AlignedBuffer(count: padded, repeating: 0)
        mask = AlignedBuffer(count: padded, repeating: 0)
        for (c, m) in multipliers.enumerated() {
            let prepared = PreparedMultiplier(m)
            multiplier.pointer[c] = Int32(truncatingIfNeeded: prepared.multiplier)
            leftShift.pointer[c] = prepared.leftShift &+ extraLeftShift
            rightShift.pointer[c] = prepared.rightShift
            mask.pointer[c] = prepared.mask
        }
        let groups = padded / 16
        lanes = AlignedBuffer(count: groups * RequantizationVectors.lanesPerGroup, repeating: 0)
        for group in 0..<groups {
            let base = lanes.pointer + group * RequantizationVectors.lanesPerGroup
            for lane in 0..<16 {
                let right = Int64(rightShift.pointer[group * 16 + lane])
                // Even channels fill lanes 0–7 of each vector, odd ones the next vector.
                let slot = lane % 2 * 8 + lane / 2
                base[slot] = (1 << 30) + (right > 0 ? (1 << (right - 1)) << 31 : 0)
                base[16 + slot] = right > 0 ? 1 << 31 : 0
                base[32 + slot] = 31 + right
            }
        }
        scales = AlignedBuffer(count: groups * RequantizationVectors.scalesPerGroup, repeating: 0)
        var fast = true
        for c in 0..<multipliers.count {
            let m = Int64(multiplier.pointer[c]), right = rightShift.pointer[c]
            let group = scales.pointer + c / 16 * RequantizationVectors.scalesPerGroup
            if m != 0 {
                // Both round to the nearest float; the error analysis at the kernel allows for it.
                group[c % 16] = Float(Double(sign: .plus, exponent: -31 - Int(right), significand: Double(m)))
                group[16 + c % 16] = Float(Double(1 << 30) / Double(m))
            }
            if leftShift.pointer[c] != 0 || !(1...31).contains(right) || (m != 0 && !((1 << 30)..<(1 << 31)).contains(m)) { fast = false }
        }
        self.fast = fast
    }

    package var vectors: RequantizationVectors {
        RequantizationVectors(multiplier: multiplier.pointer, leftShift: leftShift.pointer, rightShift: rightShift.pointer, mask: mask.pointer,
                              lanes: UnsafePointer(lanes.pointer), scales: UnsafePointer(scales.pointer), fast: fast)
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

/// The values of a constant INT8 or UINT8 tensor, read in place (no widened copy: packing
/// reads each weight once, straight from the model's bytes).
package struct IntegerConstant {
    let bytes: UnsafeBufferPointer<UInt8>
    let signed: Bool

    var count: Int { bytes.count }

    /// Value `i` widened to Int32 (`i < count`).
    subscript(i: Int) -> Int32 {
        signed ? Int32(Int8(bitPattern: bytes[i])) : Int32(bytes[i])
    }
}

/// Reads a constant quantized tensor (INT8 or UINT8), its values widened to Int32 on access.
package func widenedConstant(_ tensor: TensorDescription, _ what: String) throws(OpError) -> IntegerConstant {
    guard tensor.type == .int8 || tensor.type == .uint8 else { throw .unsupportedType("\(what) of type \(tensor.type.schemaName)") }
    guard let values = tensor.constantValues(as: UInt8.self), values.count >= tensor.elementCount else { throw .notConstant("\(what) must be constant") }
    return IntegerConstant(bytes: UnsafeBufferPointer(rebasing: values[0..<tensor.elementCount]), signed: tensor.type == .int8)
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

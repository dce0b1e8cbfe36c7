import Foundation
import Ops
import Testing
import TFLiteCore

/// The dynamic-range ("hybrid") kernels against a plain scalar transliteration of LiteRT's
/// reference formulas (conv.cc EvalHybrid / EvalHybridPerChannel, depthwise_conv.cc
/// EvalHybridPerChannel, fully_connected.cc EvalHybridDense and the NEON tensor_utils
/// quantizers LiteRT runs on x86), on seeded random shapes, options and data: identical float
/// bits.
@Suite struct HybridConvolutionTests {
    // MARK: Scalar reference

    /// NEON's `RoundToNearest` before ARMv8 (what LiteRT runs on x86 through NEON_2_SSE): add
    /// ±0.5 in float, truncate.
    static func neonRound(_ y: Float) -> Int32 { Int32(y + (y < 0 ? -0.5 : 0.5)) }

    /// `NeonSymmetricQuantizeFloats`: vector part (the first `count & ~7`) rounded as NEON does,
    /// the rest with `std::round`.
    static func symmetric(_ x: [Float]) -> (q: [Int32], scale: Float) {
        let low = x.min() ?? 0, high = x.max() ?? 0
        let range = max(abs(low), abs(high))
        if range == 0 { return ([Int32](repeating: 0, count: x.count), 1) }
        let inverse = 127 / range
        let q = x.indices.map { i in
            let y = x[i] * inverse
            return min(127, max(-127, i < x.count / 8 * 8 ? neonRound(y) : Int32(y.rounded(.toNearestOrAwayFromZero))))
        }
        return (q, range / 127)
    }

    /// `NeonAsymmetricQuantizeFloats`: range from min(x, 0) and max(x, 0), subtracted in float;
    /// scale and zero point in double; the offset added after rounding.
    static func asymmetric(_ x: [Float]) -> (q: [Int32], scale: Float, offset: Int32) {
        let rminF = min(0, x.min() ?? 0), rmaxF = max(0, x.max() ?? 0)
        if rminF == rmaxF { return ([Int32](repeating: 0, count: x.count), 1, 0) }
        let rmin = Double(rminF), rmax = Double(rmaxF)
        let scale = Double(rmaxF - rminF) / 255.0
        let fromMin = -128 - rmin / scale, fromMax = 127 - rmax / scale
        let zeroPoint = 128 + abs(rmin / scale) < 127 + abs(rmax / scale) ? fromMin : fromMax
        let offset: Int32 = zeroPoint <= -128 ? -128 : zeroPoint >= 127 ? 127 : Int32(zeroPoint.rounded(.toNearestOrAwayFromZero))
        let s = Float(scale), inverse = s == 0 ? 0 : Float(1.0 / Double(s))
        let q = x.indices.map { i in
            let y = x[i] * inverse
            return min(127, max(-128, (i < x.count / 8 * 8 ? neonRound(y) : Int32(y.rounded(.toNearestOrAwayFromZero))) + offset))
        }
        return (q, s, offset)
    }

    static func clamp(_ v: Float, _ range: (min: Float, max: Float)) -> Float { min(max(v, range.min), range.max) }

    struct ConvCase {
        var batches = 1, height = 1, width = 1, inputChannels = 1, outputChannels = 1, kernelH = 1, kernelW = 1
        var strideH = 1, strideW = 1, dilation = 1, padding = Padding.same, activation = FusedActivation.none, multiplier = 1
    }

    static func randomConvCase(_ g: inout SeededGenerator, depthwise: Bool) -> ConvCase {
        var c = ConvCase()
        c.batches = Int.random(in: 1...3, using: &g)
        c.height = Int.random(in: 1...9, using: &g)
        c.width = Int.random(in: 1...9, using: &g)
        c.inputChannels = Int.random(in: 1...20, using: &g)
        c.multiplier = depthwise ? Int.random(in: 1...3, using: &g) : 1
        c.outputChannels = depthwise ? c.inputChannels * c.multiplier : Int.random(in: 1...20, using: &g)
        c.kernelH = [1, 2, 3, 5].randomElement(using: &g) ?? 3
        c.kernelW = [1, 3].randomElement(using: &g) ?? 3
        c.strideH = Int.random(in: 1...2, using: &g)
        c.strideW = Int.random(in: 1...3, using: &g)
        c.dilation = Int.random(in: 1...2, using: &g)
        c.padding = Bool.random(using: &g) ? .same : .valid
        c.activation = [.none, .relu, .relu6, .reluN1To1].randomElement(using: &g) ?? .none
        return c
    }

    /// Conv or depthwise, transliterated: per-channel (or depthwise) → asymmetric batches and
    /// `acc · s_w[c] · s_in[b]` (depthwise: `acc · (s_w[c] · s_in[b])`); per-tensor conv →
    /// symmetric batches and `0 + acc · (s_in[b] · s_w) + bias`.
    static func referenceConvolution(_ c: ConvCase, depthwise: Bool, input: [Float], weights: [Int32], scales: [Float], bias: [Float]?,
                                     geometry h: WindowGeometry, _ w: WindowGeometry) throws -> [Float] {
        let range = try c.activation.floatRange()
        let perChannel = depthwise || scales.contains { $0 != scales[0] }
        let batchSize = c.height * c.width * c.inputChannels
        var out: [Float] = []
        for b in 0..<c.batches {
            let x = Array(input[(b * batchSize)..<((b + 1) * batchSize)])
            let q: [Int32], scale: Float, offset: Int32
            if perChannel {
                (q, scale, offset) = asymmetric(x)
            } else {
                let s = symmetric(x)
                (q, scale, offset) = (s.q, s.scale * scales[0], 0)
            }
            for oy in 0..<h.outputSize {
                for ox in 0..<w.outputSize {
                    for o in 0..<c.outputChannels {
                        var acc: Int32 = 0
                        for ky in 0..<c.kernelH {
                            for kx in 0..<c.kernelW {
                                let iy = oy * c.strideH - h.paddingBefore + ky * c.dilation
                                let ix = ox * c.strideW - w.paddingBefore + kx * c.dilation
                                guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { continue }
                                if depthwise {
                                    let v = q[(iy * c.width + ix) * c.inputChannels + o / c.multiplier]
                                    acc += weights[(ky * c.kernelW + kx) * c.outputChannels + o] * (v - offset)
                                } else {
                                    for i in 0..<c.inputChannels {
                                        let v = q[(iy * c.width + ix) * c.inputChannels + i]
                                        acc += weights[((o * c.kernelH + ky) * c.kernelW + kx) * c.inputChannels + i] * (v - offset)
                                    }
                                }
                            }
                        }
                        var v: Float
                        if depthwise {
                            v = Float(acc)
                            v *= scales[o] * scale
                            if let bias { v += bias[o] }
                        } else if perChannel {
                            v = Float(acc) * scales[o] * scale
                            if let bias { v += bias[o] }
                        } else {
                            v = 0 + Float(acc) * scale
                            if let bias { v += bias[o] }
                        }
                        out.append(clamp(v, range))
                    }
                }
            }
        }
        return out
    }

    /// FULLY_CONNECTED transliterated: output = bias; rows quantized; `+= acc · (s_in[r] · s_w)`;
    /// the activation. An all-zero input gives the activated bias.
    static func referenceFullyConnected(rows: Int, depth: Int, units: Int, input: [Float], weights: [Int32], scales: [Float],
                                        bias: [Float]?, asymmetricInputs: Bool, activation: FusedActivation) -> [Float] {
        func activate(_ v: Float) -> Float {
            switch activation {
            case .relu: max(0, v)
            case .relu6: min(6, max(0, v))
            case .reluN1To1: min(1, max(-1, v))
            default: v
            }
        }
        var out = (0..<(rows * units)).map { bias?[$0 % units] ?? 0 }
        if input.allSatisfy({ $0 == 0 }) { return out.map(activate) }
        for r in 0..<rows {
            let x = Array(input[(r * depth)..<((r + 1) * depth)])
            var (q, scale, offset): ([Int32], Float, Int32)
            if asymmetricInputs {
                (q, scale, offset) = asymmetric(x)
            } else {
                let s = symmetric(x)
                (q, scale, offset) = (s.q, s.scale, 0)
            }
            if scales.count == 1 { scale *= scales[0] }
            for u in 0..<units {
                var acc: Int32 = 0
                for i in 0..<depth { acc += weights[u * depth + i] * (q[i] - offset) }
                let s = scales.count == 1 ? scale : scale * scales[u]
                out[r * units + u] += Float(acc) * s
            }
        }
        return out.map(activate)
    }

    // MARK: Helpers

    static func randomInput(_ count: Int, _ g: inout SeededGenerator) -> [Float] {
        // Mostly centred data; sometimes all positive or all negative, sometimes all zero, so the
        // asymmetric zero point reaches both ends.
        let shift: Float = [0, 0, 0.9, -0.9].randomElement(using: &g) ?? 0
        let spread = Float([0.01, 1, 7].randomElement(using: &g) ?? 1)
        if Int.random(in: 0..<25, using: &g) == 0 { return [Float](repeating: 0, count: count) }
        return (0..<count).map { _ in (Float.random(in: -1...1, using: &g) + shift) * spread }
    }

    static func weightQuantization(_ channels: Int, dimension: Int, perTensor: Bool, _ g: inout SeededGenerator) -> QuantizationParameters {
        let scales = perTensor ? [Float.random(in: 0.001...0.05, using: &g)] : (0..<channels).map { _ in Float.random(in: 0.001...0.05, using: &g) }
        return QuantizationParameters(scales: scales, zeroPoints: scales.map { _ in 0 }, quantizedDimension: dimension)
    }

    static func int8Bytes(_ v: [Int32]) -> [UInt8] { v.map { UInt8(bitPattern: Int8($0)) } }

    static func expectSameBits(_ actual: [Float], _ expected: [Float], _ what: String) {
        #expect(actual.count == expected.count, "\(what): count")
        let mismatches = zip(actual, expected).filter { $0.bitPattern != $1.bitPattern }
        let maxDifference = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(mismatches.isEmpty, "\(what): \(mismatches.count) values differ, max \(maxDifference)")
    }

    // MARK: Tests

    func checkConvolution(depthwise: Bool, perTensor: Bool, seed: UInt64) throws {
        var g = SeededGenerator(seed: seed)
        for _ in 0..<60 {
            let c = Self.randomConvCase(&g, depthwise: depthwise)
            let threads = Int.random(in: 1...3, using: &g)
            let input = Self.randomInput(c.batches * c.height * c.width * c.inputChannels, &g)
            let weightShape = depthwise ? [1, c.kernelH, c.kernelW, c.outputChannels] : [c.outputChannels, c.kernelH, c.kernelW, c.inputChannels]
            let weights = (0..<weightShape.reduce(1, *)).map { _ in Int32.random(in: -127...127, using: &g) }
            let quantization = Self.weightQuantization(c.outputChannels, dimension: depthwise ? 3 : 0, perTensor: perTensor, &g)
            let bias: [Float]? = Bool.random(using: &g) ? (0..<c.outputChannels).map { _ in Float.random(in: -1...1, using: &g) } : nil
            var inputs: [KernelHarness.Input?] = [
                .init(.float32, [c.batches, c.height, c.width, c.inputChannels], input),
                .init(.int8, weightShape, Self.int8Bytes(weights), quantization: quantization, constant: true),
            ]
            if let bias { inputs.append(.init(.float32, [c.outputChannels], bias, constant: true)) }
            let output = TensorDescription(type: .float32, shape: [])
            let actual: [UInt8]
            if depthwise {
                let options = DepthwiseConv2DOptions(padding: c.padding, strideWidth: c.strideW, strideHeight: c.strideH, dilationWidth: c.dilation,
                                                     dilationHeight: c.dilation, depthMultiplier: c.multiplier, activation: c.activation)
                actual = try KernelHarness.run(threads: threads, inputs: inputs, outputs: [output]) { (ctx: inout PrepareContext) throws(OpError) in
                    try DepthwiseConv2D.prepare(options, &ctx) }[0]
            } else {
                let options = Conv2DOptions(padding: c.padding, strideWidth: c.strideW, strideHeight: c.strideH, dilationWidth: c.dilation,
                                            dilationHeight: c.dilation, activation: c.activation)
                actual = try KernelHarness.run(threads: threads, inputs: inputs, outputs: [output]) { (ctx: inout PrepareContext) throws(OpError) in
                    try Conv2D.prepare(options, &ctx) }[0]
            }
            let h = try WindowGeometry(padding: c.padding, inputSize: c.height, filterSize: c.kernelH, stride: c.strideH, dilation: c.dilation)
            let w = try WindowGeometry(padding: c.padding, inputSize: c.width, filterSize: c.kernelW, stride: c.strideW, dilation: c.dilation)
            let expected = try Self.referenceConvolution(c, depthwise: depthwise, input: input, weights: weights, scales: quantization.scales,
                                                         bias: bias, geometry: h, w)
            Self.expectSameBits(actual.values(as: Float.self), expected, "\(c)")
        }
    }

    @Test func perChannelConvolutionMatchesTheReference() throws { try checkConvolution(depthwise: false, perTensor: false, seed: 11) }
    @Test func perTensorConvolutionMatchesTheReference() throws { try checkConvolution(depthwise: false, perTensor: true, seed: 12) }
    @Test func depthwiseMatchesTheReference() throws { try checkConvolution(depthwise: true, perTensor: false, seed: 13) }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func fullyConnectedMatchesTheReference(asymmetricInputs: Bool, perTensor: Bool) throws {
        var g = SeededGenerator(seed: 20 + (asymmetricInputs ? 1 : 0) + (perTensor ? 2 : 0))
        for _ in 0..<60 {
            let rows = Int.random(in: 1...5, using: &g), depth = Int.random(in: 1...70, using: &g), units = Int.random(in: 1...40, using: &g)
            let activation: FusedActivation = [.none, .relu, .relu6, .reluN1To1].randomElement(using: &g) ?? .none
            let input = Self.randomInput(rows * depth, &g)
            let weights = (0..<(units * depth)).map { _ in Int32.random(in: -127...127, using: &g) }
            let quantization = Self.weightQuantization(units, dimension: 0, perTensor: perTensor, &g)
            let bias: [Float]? = Bool.random(using: &g) ? (0..<units).map { _ in Float.random(in: -1...1, using: &g) } : nil
            var inputs: [KernelHarness.Input?] = [
                .init(.float32, [rows, depth], input),
                .init(.int8, [units, depth], Self.int8Bytes(weights), quantization: quantization, constant: true),
            ]
            if let bias { inputs.append(.init(.float32, [units], bias, constant: true)) }
            let options = FullyConnectedOptions(activation: activation, asymmetricQuantizeInputs: asymmetricInputs)
            let actual = try KernelHarness.run(threads: 2, inputs: inputs, outputs: [TensorDescription(type: .float32, shape: [])]) {
                (ctx: inout PrepareContext) throws(OpError) in try FullyConnected.prepare(options, &ctx) }[0]
            let expected = Self.referenceFullyConnected(rows: rows, depth: depth, units: units, input: input, weights: weights,
                                                        scales: quantization.scales, bias: bias, asymmetricInputs: asymmetricInputs,
                                                        activation: activation)
            Self.expectSameBits(actual.values(as: Float.self), expected, "rows \(rows) depth \(depth) units \(units) \(activation)")
        }
    }

    // MARK: Quantizers on known values

    @Test func symmetricQuantizationOfKnownValues() {
        var q = [Int8](repeating: 9, count: 4)
        let scale = [Float(0.5), -1, 0.25, 0.0019685].withUnsafeBufferPointer { x in
            q.withUnsafeMutableBufferPointer { HybridInputQuantizer.symmetric(x.baseAddress!, count: 4, into: $0.baseAddress!) }
        }
        #expect(scale == Float(1) / 127)
        #expect(q == [64, -127, 32, 0])  // 63.5 rounds away from zero; 0.25 → 31.75 → 32
        let zeroScale = [Float](repeating: 0, count: 3).withUnsafeBufferPointer { x in
            q.withUnsafeMutableBufferPointer { HybridInputQuantizer.symmetric(x.baseAddress!, count: 3, into: $0.baseAddress!) }
        }
        #expect(zeroScale == 1)
        #expect(q[0..<3] == [0, 0, 0])
    }

    @Test func asymmetricQuantizationOfKnownValues() {
        var q = [Int8](repeating: 9, count: 3)
        let (scale, offset) = [Float(0), 1, 0.25].withUnsafeBufferPointer { x in
            q.withUnsafeMutableBufferPointer { HybridInputQuantizer.asymmetric(x.baseAddress!, count: 3, into: $0.baseAddress!) }
        }
        // [0, 1] maps onto [−128, 127]: scale 1/255, zero point −128.
        #expect(scale == Float(1.0 / 255.0))
        #expect(offset == -128)
        #expect(q == [-128, 127, -64])
        let zero = [Float](repeating: 0, count: 3).withUnsafeBufferPointer { x in
            q.withUnsafeMutableBufferPointer { HybridInputQuantizer.asymmetric(x.baseAddress!, count: 3, into: $0.baseAddress!) }
        }
        #expect(zero.scale == 1 && zero.offset == 0)
        #expect(q == [0, 0, 0])
    }

    /// The first `count & ~7` values round as NEON does without ARMv8 (add 0.5 in float, then
    /// truncate): just below a tie rounds up there, and to nearest in the tail.
    @Test func vectorPartRoundsLikeNEON() {
        let belowHalf = Float(0.5).nextDown
        for count in [7, 8, 9] {
            var values = [Float](repeating: 0, count: count)
            values[0] = 127  // scale 1: q = round(x)
            values[1] = belowHalf
            values[count - 1] = belowHalf
            var q = [Int8](repeating: 0, count: count)
            values.withUnsafeBufferPointer { x in
                q.withUnsafeMutableBufferPointer { _ = HybridInputQuantizer.symmetric(x.baseAddress!, count: count, into: $0.baseAddress!) }
            }
            #expect(q[1] == (count >= 8 ? 1 : 0), "count \(count)")
            #expect(q[count - 1] == (count == 8 ? 1 : 0), "count \(count)")
        }
    }

    @Test func quantizersDoNotTrapOnNonFiniteInput() {
        var q = [Int8](repeating: 0, count: 3)
        for values in [[Float.nan, 1, -1], [Float.infinity, 1, -2], [-Float.infinity, 0, 3]] {
            values.withUnsafeBufferPointer { x in
                q.withUnsafeMutableBufferPointer { out in
                    _ = HybridInputQuantizer.symmetric(x.baseAddress!, count: 3, into: out.baseAddress!)
                    _ = HybridInputQuantizer.asymmetric(x.baseAddress!, count: 3, into: out.baseAddress!)
                }
            }
        }
    }

    // MARK: Refusals

    static func prepareDepthwise(multiplierOption: Int, scales: Int, dimension: Int) throws(OpError) {
        let inputs: [KernelHarness.Input?] = [
            .init(.float32, [1, 4, 4, 2], [Float](repeating: 0.5, count: 32)),
            .init(.int8, [1, 3, 3, 4], [UInt8](repeating: 1, count: 36),
                  quantization: QuantizationParameters(scales: [Float](repeating: 0.1, count: scales), zeroPoints: [Int64](repeating: 0, count: scales),
                                                       quantizedDimension: dimension), constant: true),
        ]
        let options = DepthwiseConv2DOptions(depthMultiplier: multiplierOption)
        _ = try KernelHarness.run(inputs: inputs, outputs: [TensorDescription(type: .float32, shape: [])]) {
            (ctx: inout PrepareContext) throws(OpError) in try DepthwiseConv2D.prepare(options, &ctx) }
    }

    @Test func depthwiseRefusesAMismatchedMultiplierOrScales() throws {
        try Self.prepareDepthwise(multiplierOption: 2, scales: 4, dimension: 3)
        #expect(throws: OpError.self) { try Self.prepareDepthwise(multiplierOption: 1, scales: 4, dimension: 3) }
        #expect(throws: OpError.self) { try Self.prepareDepthwise(multiplierOption: 2, scales: 1, dimension: 0) }
        #expect(throws: OpError.self) { try Self.prepareDepthwise(multiplierOption: 2, scales: 4, dimension: 0) }
    }

    @Test func fullyConnectedRefusesNonConstantOrWronglyScaledWeights() {
        func prepare(constant: Bool, scales: Int, outputType: DataType = .float32) throws(OpError) {
            let inputs: [KernelHarness.Input?] = [
                .init(.float32, [2, 3], [Float](repeating: 0.5, count: 6)),
                .init(.int8, [4, 3], [UInt8](repeating: 1, count: 12),
                      quantization: QuantizationParameters(scales: [Float](repeating: 0.1, count: scales), zeroPoints: [Int64](repeating: 0, count: scales)),
                      constant: constant),
            ]
            _ = try KernelHarness.run(inputs: inputs, outputs: [TensorDescription(type: outputType, shape: [])]) {
                (ctx: inout PrepareContext) throws(OpError) in try FullyConnected.prepare(FullyConnectedOptions(), &ctx) }
        }
        #expect(throws: Never.self) { try prepare(constant: true, scales: 4) }
        #expect(throws: OpError.self) { try prepare(constant: false, scales: 4) }
        #expect(throws: OpError.self) { try prepare(constant: true, scales: 3) }
        #expect(throws: OpError.self) { try prepare(constant: true, scales: 0) }
        #expect(throws: OpError.self) { try prepare(constant: true, scales: 1, outputType: .int8) }
    }
}

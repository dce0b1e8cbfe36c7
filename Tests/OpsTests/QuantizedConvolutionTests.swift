import Ops
import Testing
import TFLiteCore

/// The fast quantized convolutions (packed float-exact GEMM, row-accumulating depthwise)
/// against a plain scalar transliteration of TFLite's reference kernels, on seeded random
/// shapes, options, data and quantization: identical bytes, for every instruction-set level
/// of micro-kernels this CPU can run.
@Suite struct QuantizedConvolutionTests {
    struct Case {
        var batches = 1, height = 0, width = 0, inputChannels = 0, outputChannels = 0, kernel = 0
        var stride = 1, dilation = 1, padding = Padding.same, activation = FusedActivation.none
        /// Filter columns; 0 means square (`kernel`).
        var columns = 0
        var kernelWidth: Int { columns > 0 ? columns : kernel }
    }

    static func randomCase(_ g: inout SeededGenerator, depthwise: Bool) -> Case {
        var c = Case()
        c.batches = Int.random(in: 1...2, using: &g)
        c.height = Int.random(in: 1...9, using: &g)
        c.width = Int.random(in: 1...9, using: &g)
        c.inputChannels = Int.random(in: 1...19, using: &g)
        // A fifth of the cases are first layers: 3 channels on a wider image (the direct
        // convolution at AVX-512, four pixels at a time inside the row).
        if Int.random(in: 0..<5, using: &g) == 0 { c.inputChannels = 3; c.width = Int.random(in: 16...40, using: &g) }
        // A quarter of the convolutions have 64–90 output channels: with 2 threads and few
        // pixels those split their channel panels over the threads.
        c.outputChannels = depthwise ? c.inputChannels * Int.random(in: 1...2, using: &g)
            : Int.random(in: 0..<4, using: &g) == 0 ? Int.random(in: 64...90, using: &g) : Int.random(in: 1...19, using: &g)
        c.kernel = [1, 3, 5].randomElement(using: &g) ?? 3
        c.stride = Int.random(in: 1...2, using: &g)
        c.dilation = Int.random(in: 1...2, using: &g)
        c.padding = Bool.random(using: &g) ? .same : .valid
        c.activation = [.none, .relu, .relu6, .reluN1To1].randomElement(using: &g) ?? .none
        return c
    }

    /// The reference: acc = bias + Σ (x − zx)(w − zw) over in-bounds taps, requantized.
    static func reference(_ c: Case, depthwise: Bool, input: [Int32], weights: [Int32], bias: [Int32], zx: Int32, zw: Int32,
                          multipliers: [QuantizedMultiplier], zo: Int32, range: (Int32, Int32), outH: Int, outW: Int, padTop: Int, padLeft: Int) -> [Int32] {
        var out: [Int32] = []
        let multiplier = c.outputChannels / c.inputChannels
        for b in 0..<c.batches {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    for o in 0..<c.outputChannels {
                        var acc = bias[o]
                        for ky in 0..<c.kernel {
                            for kx in 0..<c.kernelWidth {
                                let iy = oy * c.stride - padTop + ky * c.dilation, ix = ox * c.stride - padLeft + kx * c.dilation
                                guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { continue }
                                if depthwise {
                                    let x = input[((b * c.height + iy) * c.width + ix) * c.inputChannels + o / multiplier]
                                    acc += (x - zx) * (weights[(ky * c.kernelWidth + kx) * c.outputChannels + o] - zw)
                                } else {
                                    for i in 0..<c.inputChannels {
                                        let x = input[((b * c.height + iy) * c.width + ix) * c.inputChannels + i]
                                        acc += (x - zx) * (weights[((o * c.kernel + ky) * c.kernelWidth + kx) * c.inputChannels + i] - zw)
                                    }
                                }
                            }
                        }
                        let m = multipliers.count == 1 ? multipliers[0] : multipliers[o]
                        out.append(min(max(multiplyByQuantizedMultiplier(acc, m.multiplier, m.shift) + zo, range.0), range.1))
                    }
                }
            }
        }
        return out
    }

    func check(signed: Bool, depthwise: Bool, seed: UInt64, firstLayers: Bool = false, byteDepthwise: Bool = false) throws {
        var g = SeededGenerator(seed: seed)
        for round in 0..<60 {
            var c = Self.randomCase(&g, depthwise: depthwise)
            if firstLayers {
                // A network's first layer: 1–4 channels, a 3×3 filter (5×5 on 1–2 channels, to
                // stay within 64 patch bytes), columns undilated — the patches the byte
                // permutes build at AVX512_VBMI, padded at the edges of every second case.
                c.inputChannels = Int.random(in: 1...4, using: &g)
                c.kernel = c.inputChannels <= 2 && Bool.random(using: &g) ? 5 : 3
                c.columns = 0
                (c.height, c.width) = (Int.random(in: 2...9, using: &g), Int.random(in: 5...40, using: &g))
                c.dilation = 1
                c.padding = round % 2 == 0 ? .same : .valid
            }
            // Now and then a filter wider than 64 columns: more taps per pixel than the exact
            // float chunk (the depthwise kernel's scalar path).
            if round % 20 == 19 { c.columns = 67; c.width = 70 }
            // Now and then a wide depthwise row with many channels: several strips at AVX-512.
            if depthwise && round % 10 == 4 {
                (c.height, c.width, c.inputChannels) = (Int.random(in: 2...4, using: &g), Int.random(in: 30...70, using: &g), Int.random(in: 100...200, using: &g))
                c.outputChannels = c.inputChannels
                c.dilation = 1
            }
            if byteDepthwise {
                // What the byte depthwise kernel takes at AVX512_VNNI with VBMI: 3×3 or 5×5,
                // multiplier and dilation 1, 1–40 channels (partial blocks of 16; 100–200 in the
                // wide rows above), widths from 1.
                (c.kernel, c.columns, c.dilation) = (Bool.random(using: &g) ? 3 : 5, 0, 1)
                if round % 10 != 4 {
                    c.inputChannels = Int.random(in: 1...40, using: &g)
                    c.width = Int.random(in: 1...30, using: &g)
                }
                c.outputChannels = c.inputChannels
            }
            let type: DataType = signed ? .int8 : .uint8
            let (qmin, qmax): (Int32, Int32) = signed ? (-128, 127) : (0, 255)
            let inputScale = Float.random(in: 0.01...0.1, using: &g), outputScale = Float.random(in: 0.05...1, using: &g)
            let zx = Int32.random(in: qmin...qmax, using: &g), zo = Int32.random(in: qmin...qmax, using: &g)
            let zw: Int32 = signed ? 0 : Int32.random(in: 0...255, using: &g)
            let channels = c.outputChannels
            let weightScales = signed ? (0..<channels).map { _ in Float.random(in: 0.001...0.05, using: &g) } : [Float.random(in: 0.001...0.05, using: &g)]
            let inputValues = (0..<(c.batches * c.height * c.width * c.inputChannels)).map { _ in Int32.random(in: qmin...qmax, using: &g) }
            let weightShape = depthwise ? [1, c.kernel, c.kernelWidth, channels] : [channels, c.kernel, c.kernelWidth, c.inputChannels]
            // UINT8 weights for the byte depthwise within −128…127 of their zero point.
            let weightRange: ClosedRange<Int32> = signed ? -127...127 : byteDepthwise ? max(0, zw - 128)...min(255, zw + 127) : 0...255
            let weightValues = (0..<weightShape.reduce(1, *)).map { _ in Int32.random(in: weightRange, using: &g) }
            let bias = (0..<channels).map { _ in Int32.random(in: -5000...5000, using: &g) }
            func bytes(_ v: [Int32]) -> [UInt8] { v.map { signed ? UInt8(bitPattern: Int8($0)) : UInt8($0) } }
            let weightQuantization = QuantizationParameters(scales: weightScales, zeroPoints: weightScales.map { _ in Int64(zw) },
                                                            quantizedDimension: depthwise ? 3 : 0)
            let h = try WindowGeometry(padding: c.padding, inputSize: c.height, filterSize: c.kernel, stride: c.stride, dilation: c.dilation)
            let w = try WindowGeometry(padding: c.padding, inputSize: c.width, filterSize: c.kernelWidth, stride: c.stride, dilation: c.dilation)
            let output = TensorDescription(type: type, shape: [], quantization: QuantizationParameters(scales: [outputScale], zeroPoints: [Int64(zo)]))
            let inputs: [KernelHarness.Input?] = [
                .init(type, [c.batches, c.height, c.width, c.inputChannels], bytes(inputValues),
                      quantization: QuantizationParameters(scales: [inputScale], zeroPoints: [Int64(zx)])),
                .init(type, weightShape, bytes(weightValues), quantization: weightQuantization, constant: true),
                .init(.int32, [channels], bias, constant: true),
            ]
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
            let actual: [UInt8]
            if depthwise {
                let options = DepthwiseConv2DOptions(padding: c.padding, strideWidth: c.stride, strideHeight: c.stride, dilationWidth: c.dilation,
                                                     dilationHeight: c.dilation, depthMultiplier: channels / c.inputChannels, activation: c.activation)
                actual = try KernelHarness.run(threads: 2, isa: isa, inputs: inputs, outputs: [output]) { (ctx: inout PrepareContext) throws(OpError) in
                    try DepthwiseConv2D.prepare(options, &ctx) }[0]
            } else {
                let options = Conv2DOptions(padding: c.padding, strideWidth: c.stride, strideHeight: c.stride, dilationWidth: c.dilation,
                                            dilationHeight: c.dilation, activation: c.activation)
                actual = try KernelHarness.run(threads: 2, isa: isa, inputs: inputs, outputs: [output]) { (ctx: inout PrepareContext) throws(OpError) in
                    try Conv2D.prepare(options, &ctx) }[0]
            }
            // TFLite's multipliers: double product for int8, float product for uint8.
            let multipliers = weightScales.map { s in
                signed ? QuantizedMultiplier(Double(inputScale) * Double(s) / Double(outputScale))
                       : QuantizedMultiplier(Double(inputScale * s) / Double(outputScale))
            }
            let kind = try c.activation.kind()
            let range = quantizedActivationRange(kind, scale: outputScale, zeroPoint: zo, qmin: qmin, qmax: qmax)
            let expected = Self.reference(c, depthwise: depthwise, input: inputValues, weights: weightValues, bias: bias, zx: zx, zw: zw,
                                          multipliers: multipliers, zo: zo, range: range, outH: h.outputSize, outW: w.outputSize,
                                          padTop: h.paddingBefore, padLeft: w.paddingBefore)
            #expect(actual == bytes(expected), "\(isa) \(c)")
            }
        }
    }

    @Test func int8ConvolutionMatchesTheReference() throws { try check(signed: true, depthwise: false, seed: 1) }
    @Test func int8FirstLayersMatchTheReference() throws { try check(signed: true, depthwise: false, seed: 5, firstLayers: true) }
    @Test func uint8FirstLayersMatchTheReference() throws { try check(signed: false, depthwise: false, seed: 6, firstLayers: true) }
    @Test func uint8ConvolutionMatchesTheReference() throws { try check(signed: false, depthwise: false, seed: 2) }
    @Test func int8DepthwiseMatchesTheReference() throws { try check(signed: true, depthwise: true, seed: 3) }
    @Test func uint8DepthwiseMatchesTheReference() throws { try check(signed: false, depthwise: true, seed: 4) }
    /// 3×3 and 5×5 depthwise cases the byte kernel takes (`ByteDepthwiseKernel`), at every level.
    @Test func int8ByteDepthwiseMatchesTheReference() throws { try check(signed: true, depthwise: true, seed: 7, byteDepthwise: true) }
    @Test func uint8ByteDepthwiseMatchesTheReference() throws { try check(signed: false, depthwise: true, seed: 8, byteDepthwise: true) }
}

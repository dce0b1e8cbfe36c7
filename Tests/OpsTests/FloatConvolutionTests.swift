import Ops
import Testing
import TFLiteCore

/// The float convolutions (packed GEMM tiles, row-at-a-time depthwise) at every
/// instruction-set level the CPU has, against a plain scalar convolution in double, on seeded
/// random shapes and options: within 1e-5 relative to the sum of |products|.
@Suite struct FloatConvolutionTests {
    struct Case {
        var batches = 1, height = 0, width = 0, inputChannels = 0, outputChannels = 0, kernelHeight = 0, kernelWidth = 0
        var stride = 1, dilation = 1, padding = Padding.same, activation = FusedActivation.none
    }

    static func reference(_ c: Case, depthwise: Bool, input: [Float], weights: [Float], bias: [Float],
                          outH: Int, outW: Int, padTop: Int, padLeft: Int, range: (min: Float, max: Float)) -> (values: [Float], scale: [Double]) {
        var out: [Float] = [], scale: [Double] = []
        let multiplier = c.outputChannels / c.inputChannels
        for b in 0..<c.batches {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    for o in 0..<c.outputChannels {
                        var acc = Double(bias[o]), magnitude = abs(Double(bias[o]))
                        for ky in 0..<c.kernelHeight {
                            for kx in 0..<c.kernelWidth {
                                let iy = oy * c.stride - padTop + ky * c.dilation, ix = ox * c.stride - padLeft + kx * c.dilation
                                guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { continue }
                                let pixel = ((b * c.height + iy) * c.width + ix) * c.inputChannels
                                if depthwise {
                                    let p = Double(input[pixel + o / multiplier]) * Double(weights[(ky * c.kernelWidth + kx) * c.outputChannels + o])
                                    acc += p; magnitude += abs(p)
                                } else {
                                    for i in 0..<c.inputChannels {
                                        let p = Double(input[pixel + i]) * Double(weights[((o * c.kernelHeight + ky) * c.kernelWidth + kx) * c.inputChannels + i])
                                        acc += p; magnitude += abs(p)
                                    }
                                }
                            }
                        }
                        out.append(min(max(Float(acc), range.min), range.max))
                        scale.append(magnitude)
                    }
                }
            }
        }
        return (out, scale)
    }

    func check(depthwise: Bool, seed: UInt64) throws {
        var g = SeededGenerator(seed: seed)
        for round in 0..<50 {
            var c = Case()
            c.batches = Int.random(in: 1...2, using: &g)
            c.height = Int.random(in: 1...9, using: &g)
            c.width = Int.random(in: 1...9, using: &g)
            // Every tenth case a first layer: 3 input channels on a wider image (the direct
            // convolution at AVX-512, eight or four pixels at a time inside the row).
            c.inputChannels = round % 10 == 3 ? 3 : Int.random(in: 1...37, using: &g)
            if round % 10 == 3 { c.width = Int.random(in: 16...40, using: &g) }
            // A quarter of the convolutions have 64–90 output channels: with 2 threads and few
            // pixels those split their channel panels over the threads.
            c.outputChannels = depthwise ? c.inputChannels * Int.random(in: 1...2, using: &g)
                : Int.random(in: 0..<4, using: &g) == 0 ? Int.random(in: 64...90, using: &g) : Int.random(in: 1...37, using: &g)
            // Now and then a filter wider than 64 columns (the integer depthwise's scalar path).
            c.kernelHeight = [1, 3, 5].randomElement(using: &g) ?? 3
            c.kernelWidth = round % 17 == 16 ? 67 : c.kernelHeight
            if c.kernelWidth == 67 { c.width = 70 }
            // Every tenth a 1×1 convolution whose weights outgrow `panelBlockBytes`: taken a
            // block of panels at a time.
            if !depthwise && round % 10 == 7 {
                (c.kernelHeight, c.kernelWidth) = (1, 1)
                c.inputChannels = Int.random(in: 520...700, using: &g)
                c.outputChannels = Int.random(in: 70...90, using: &g)
            }
            c.stride = Int.random(in: 1...2, using: &g)
            c.dilation = Int.random(in: 1...2, using: &g)
            // Every tenth depthwise a wide row with many channels: at AVX-512 its pixels go in
            // several strips (each sized to the level-1 cache), four at a time inside a strip.
            if depthwise && round % 10 == 5 {
                (c.height, c.width, c.inputChannels) = (Int.random(in: 2...4, using: &g), Int.random(in: 30...70, using: &g), Int.random(in: 100...200, using: &g))
                c.outputChannels = c.inputChannels
                c.kernelHeight = Bool.random(using: &g) ? 3 : 5
                c.kernelWidth = c.kernelHeight
                c.dilation = 1
            }
            c.padding = Bool.random(using: &g) ? .same : .valid
            c.activation = [.none, .relu, .relu6, .reluN1To1].randomElement(using: &g) ?? .none
            let channels = c.outputChannels
            let input = (0..<(c.batches * c.height * c.width * c.inputChannels)).map { _ in Float.random(in: -1...1, using: &g) }
            let weightShape = depthwise ? [1, c.kernelHeight, c.kernelWidth, channels] : [channels, c.kernelHeight, c.kernelWidth, c.inputChannels]
            let weights = (0..<weightShape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &g) }
            let bias = (0..<channels).map { _ in Float.random(in: -1...1, using: &g) }
            guard let h = try? WindowGeometry(padding: c.padding, inputSize: c.height, filterSize: c.kernelHeight, stride: c.stride, dilation: c.dilation),
                  let w = try? WindowGeometry(padding: c.padding, inputSize: c.width, filterSize: c.kernelWidth, stride: c.stride, dilation: c.dilation)
            else { continue }
            let range = try c.activation.floatRange()
            let expected = Self.reference(c, depthwise: depthwise, input: input, weights: weights, bias: bias, outH: h.outputSize, outW: w.outputSize,
                                          padTop: h.paddingBefore, padLeft: w.paddingBefore, range: range)
            let inputs: [KernelHarness.Input?] = [
                .init(.float32, [c.batches, c.height, c.width, c.inputChannels], input),
                .init(.float32, weightShape, weights, constant: true),
                .init(.float32, [channels], bias, constant: true),
            ]
            let output = TensorDescription(type: .float32, shape: [])
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                let bytes: [UInt8]
                if depthwise {
                    let options = DepthwiseConv2DOptions(padding: c.padding, strideWidth: c.stride, strideHeight: c.stride, dilationWidth: c.dilation,
                                                         dilationHeight: c.dilation, depthMultiplier: channels / c.inputChannels, activation: c.activation)
                    bytes = try KernelHarness.run(threads: 2, isa: isa, inputs: inputs, outputs: [output]) { (ctx: inout PrepareContext) throws(OpError) in
                        try DepthwiseConv2D.prepare(options, &ctx) }[0]
                } else {
                    let options = Conv2DOptions(padding: c.padding, strideWidth: c.stride, strideHeight: c.stride, dilationWidth: c.dilation,
                                                dilationHeight: c.dilation, activation: c.activation)
                    bytes = try KernelHarness.run(threads: 2, isa: isa, inputs: inputs, outputs: [output]) { (ctx: inout PrepareContext) throws(OpError) in
                        try Conv2D.prepare(options, &ctx) }[0]
                }
                let actual = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                #expect(actual.count == expected.values.count, "\(isa) \(c)")
                let worst = zip(zip(actual, expected.values), expected.scale).map { pair, scale in
                    Double(abs(pair.0 - pair.1)) / max(scale, 1e-3)
                }.max() ?? 0
                #expect(worst < 1e-5, "\(isa) \(c): relative error \(worst)")
            }
        }
    }

    /// FLOAT32 FULLY_CONNECTED on 2 threads (a batch of one splits its panels over them; one
    /// row takes four panels at a time at AVX-512) against a sum in double.
    @Test func fullyConnectedMatchesTheReference() throws {
        var g = SeededGenerator(seed: 23)
        for _ in 0..<40 {
            let rows = Int.random(in: 0..<3, using: &g) == 0 ? Int.random(in: 2...10, using: &g) : 1
            let depth = Int.random(in: 1...300, using: &g), units = Int.random(in: 1...150, using: &g)
            let activation = [FusedActivation.none, .relu, .relu6].randomElement(using: &g) ?? .none
            let x = (0..<(rows * depth)).map { _ in Float.random(in: -1...1, using: &g) }
            let w = (0..<(units * depth)).map { _ in Float.random(in: -1...1, using: &g) }
            let bias = (0..<units).map { _ in Float.random(in: -1...1, using: &g) }
            let range = try activation.floatRange()
            var expected: [Float] = [], scale: [Double] = []
            for r in 0..<rows {
                for u in 0..<units {
                    var acc = Double(bias[u]), magnitude = abs(Double(bias[u]))
                    for i in 0..<depth {
                        let p = Double(x[r * depth + i]) * Double(w[u * depth + i])
                        acc += p; magnitude += abs(p)
                    }
                    expected.append(min(max(Float(acc), range.min), range.max))
                    scale.append(magnitude)
                }
            }
            let inputs: [KernelHarness.Input?] = [
                .init(.float32, [rows, depth], x), .init(.float32, [units, depth], w, constant: true), .init(.float32, [units], bias, constant: true),
            ]
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                let bytes = try KernelHarness.run(threads: 2, isa: isa, inputs: inputs, outputs: [TensorDescription(type: .float32, shape: [])]) {
                    (ctx: inout PrepareContext) throws(OpError) in try FullyConnected.prepare(FullyConnectedOptions(activation: activation), &ctx) }[0]
                let actual = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                #expect(actual.count == expected.count, "\(isa) rows \(rows) depth \(depth) units \(units)")
                let worst = zip(zip(actual, expected), scale).map { pair, s in Double(abs(pair.0 - pair.1)) / max(s, 1e-3) }.max() ?? 0
                #expect(worst < 1e-5, "\(isa) rows \(rows) depth \(depth) units \(units): relative error \(worst)")
            }
        }
    }

    @Test func convolutionMatchesTheReference() throws { try check(depthwise: false, seed: 21) }
    @Test func depthwiseMatchesTheReference() throws { try check(depthwise: true, seed: 22) }
}

import Ops
import Testing
import TFLiteCore

/// A FLOAT32 convolution with a fused HARD_SWISH and residual ADD (and, 1×1, a fused MUL of its
/// input by a per-channel scale), and a depthwise convolution
/// with a fused HARD_SWISH (applied in registers before the store on AVX-512, as the ops' own
/// loops elsewhere), store the bytes of the ops run one after the other — at every
/// instruction-set level, on 1 and 2 threads, with NaN, infinities, signed zeros and
/// HARD_SWISH's corners (−3, 3) in the values.
@Suite struct ConvolutionEpilogueTests {
    typealias Harness = DepthwiseAfterConvolutionTests

    /// Mostly uniform in ±4; one in 16 a special value.
    static func value(_ g: inout SeededGenerator) -> Float {
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, -3, 3, 6, -6, .leastNonzeroMagnitude]
        if Int.random(in: 0..<16, using: &g) == 0 { return specials.randomElement(using: &g) ?? 0 }
        return Float.random(in: -4...4, using: &g)
    }

    /// The same bits, or both NaN: which operand's NaN an addition returns is the compiler's
    /// choice (it may swap them), in the ops' own loops as much as here.
    static func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    @Test func fusedEpilogueIsTheOpsBytes() throws {
        var g = SeededGenerator(seed: 53)
        var cases = 0, specialOutputs = 0
        for round in 0..<24 {
            let height = Int.random(in: 1...6, using: &g), width = Int.random(in: 1...13, using: &g)
            // Rounds 4 and 7: weights past the panel block (128 KB), which the 1×1 path takes a
            // block at a time unless it scales its input.
            let big = round == 4 || round == 7
            let inputChannels = big ? 160 : Int.random(in: 1...24, using: &g)
            let outputChannels = big ? 240 : Int.random(in: 1...70, using: &g)
            let size = round % 3 == 2 ? 3 : 1
            let activations: [FusedActivation] = [.none, .relu, .relu6]
            let convolutionOptions = Conv2DOptions(padding: .same, activation: activations.randomElement(using: &g) ?? .none)
            let addOptions = ArithmeticOptions(activation: activations.randomElement(using: &g) ?? .none)
            let hardSwish = round % 4 != 1, residual = round % 4 != 0, addendFirst = Bool.random(using: &g)
            // A squeeze-and-excite MUL of the 1×1 convolution's input by a per-channel scale.
            let scaled = size == 1 && round % 2 == 1, scaleFirst = Bool.random(using: &g)
            let mulOptions = ArithmeticOptions(activation: activations.randomElement(using: &g) ?? .none)
            let k = size * size * inputChannels
            // Every other round, one-hot weights: the output is bias + one input value, exactly,
            // so HARD_SWISH's corners and the specials reach the epilogue unblurred.
            let oneHot = round % 2 == 0
            let weights = (0..<(outputChannels * k)).map { i in oneHot ? (i % k == (i / k) % k ? 1 : 0) : Float.random(in: -1...1, using: &g) }
            let bias = (0..<outputChannels).map { _ in oneHot ? [0, -0.0, 0.5].randomElement(using: &g) ?? 0 : Float.random(in: -1...1, using: &g) }
            let input = (0..<(height * width * inputChannels)).map { _ in Self.value(&g) }
            let outputCount = height * width * outputChannels
            let addend = (0..<outputCount).map { _ in Self.value(&g) }
            let scale = (0..<inputChannels).map { _ in Self.value(&g) }
            let constants = [Harness.constant([outputChannels, size, size, inputChannels], weights), Harness.constant([outputChannels], bias)]
            defer { constants.forEach { $0.data.map { UnsafeMutableRawPointer(mutating: $0.baseAddress)?.deallocate() } } }
            let inputDescription = TensorDescription(type: .float32, shape: [1, height, width, inputChannels])
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                for threads in [1, 2] {
                    func convolution() throws -> (any Kernel, [Int]) {
                        try Harness.prepare([inputDescription] + constants, threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                            try Conv2D.prepare(convolutionOptions, &c)
                        }
                    }
                    let (plain, shape) = try convolution()
                    let outputDescription = TensorDescription(type: .float32, shape: shape)
                    let (swish, _) = try Harness.prepare([outputDescription], threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                        try HardSwish.prepare(&c)
                    }
                    let (add, _) = try Harness.prepare([outputDescription, outputDescription], threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                        try Add.prepare(addOptions, &c)
                    }
                    let range = try #require((add as? FloatBinaryKernel)?.additionRange)
                    let scaleDescription = TensorDescription(type: .float32, shape: [1, 1, 1, inputChannels])
                    let (mul, _) = try Harness.prepare(scaleFirst ? [scaleDescription, inputDescription] : [inputDescription, scaleDescription],
                                                       threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                        try Mul.prepare(mulOptions, &c)
                    }
                    let mulRange = try #require((mul as? FloatBinaryKernel)?.multiplicationRange)
                    let (fused, _) = try convolution()
                    if hardSwish { try #require(fused as? HardSwishFusing).fuseHardSwish() }
                    // The direct convolution (a 3-channel 3×3 at AVX-512) takes no residual ADD.
                    let adds = residual && (fused as? ResidualAddFusing)?.fuseResidualAdd(input: 3, addendFirst: addendFirst, minimum: range.minimum,
                                                                                            maximum: range.maximum) == true
                    #expect(adds || !residual || (size == 3 && inputChannels <= 4), "\(isa): residual ADD not fused")
                    // The scale is the step's input after the addend.
                    if scaled {
                        let fuses = (fused as? InputScaleFusing)?.fuseInputScale(input: adds ? 4 : 3, scaleFirst: scaleFirst, minimum: mulRange.minimum,
                                                                                maximum: mulRange.maximum)
                        #expect(fuses == true, "\(isa): input scale not fused")
                    }
                    var convolutionInput = input
                    if scaled {
                        convolutionInput = input.withUnsafeBytes { x in
                            scale.withUnsafeBytes { y in
                                let (first, second) = scaleFirst ? (y, x) : (x, y)
                                return Harness.eval(mul, input: first.baseAddress.unsafelyUnwrapped, extra: [second.baseAddress], count: input.count, threads: threads)
                            }
                        }
                    }
                    var separate = convolutionInput.withUnsafeBytes { Harness.eval(plain, input: $0.baseAddress.unsafelyUnwrapped, count: outputCount, threads: threads) }
                    if hardSwish {
                        separate = separate.withUnsafeBytes { Harness.eval(swish, input: $0.baseAddress.unsafelyUnwrapped, count: outputCount, threads: threads) }
                    }
                    if adds {
                        separate = separate.withUnsafeBytes { value in
                            addend.withUnsafeBytes { other in
                                let (x, y) = addendFirst ? (other, value) : (value, other)
                                return Harness.eval(add, input: x.baseAddress.unsafelyUnwrapped, extra: [y.baseAddress], count: outputCount, threads: threads)
                            }
                        }
                    }
                    let together = input.withUnsafeBytes { raw in
                        addend.withUnsafeBytes { other in
                            scale.withUnsafeBytes { scale in
                                Harness.eval(fused, input: raw.baseAddress.unsafelyUnwrapped,
                                             extra: [nil, nil] + (adds ? [other.baseAddress] : []) + [scale.baseAddress], count: outputCount, threads: threads)
                            }
                        }
                    }
                    let differing = zip(together, separate).filter { !Self.same($0, $1) }.count
                    #expect(together.count == outputCount && differing == 0,
                            "\(differing) of \(outputCount) values differ, \(isa) \(threads) thread(s): \(size)×\(size) \(inputChannels) → \(outputChannels), hard-swish \(hardSwish), residual \(adds), scaled \(scaled)")
                    specialOutputs += separate.filter { !$0.isFinite || $0 == 0 }.count
                    cases += 1
                }
            }
        }
        #expect(cases >= 48, "only \(cases) cases ran")
        #expect(specialOutputs > 100, "only \(specialOutputs) NaN, infinite or zero outputs compared")
    }

    @Test func fusedDepthwiseHardSwishIsTheOpsBytes() throws {
        var g = SeededGenerator(seed: 59)
        var cases = 0
        for round in 0..<16 {
            let height = Int.random(in: 1...6, using: &g), width = Int.random(in: 1...13, using: &g)
            // Whole groups of 16 channels, a remainder, or both.
            let channels = [16, 32, 8, 72, 5, 40][round % 6] + (round >= 6 ? 16 * Int.random(in: 0...2, using: &g) : 0)
            let stride = round % 3 == 1 ? 2 : 1
            let activations: [FusedActivation] = [.none, .relu, .relu6]
            let options = DepthwiseConv2DOptions(padding: .same, strideWidth: stride, strideHeight: stride, dilationWidth: 1, dilationHeight: 1,
                                                 depthMultiplier: 1, activation: activations.randomElement(using: &g) ?? .none)
            // Every other round the centre tap alone is 1: the output is bias + the input value.
            let oneHot = round % 2 == 0
            let weights = (0..<(9 * channels)).map { i in oneHot ? (i / channels == 4 ? 1 : 0) : Float.random(in: -1...1, using: &g) }
            let bias = (0..<channels).map { _ in oneHot ? [0, -0.0].randomElement(using: &g) ?? 0 : Float.random(in: -1...1, using: &g) }
            let input = (0..<(height * width * channels)).map { _ in Self.value(&g) }
            let constants = [Harness.constant([1, 3, 3, channels], weights), Harness.constant([channels], bias)]
            defer { constants.forEach { $0.data.map { UnsafeMutableRawPointer(mutating: $0.baseAddress)?.deallocate() } } }
            let inputDescription = TensorDescription(type: .float32, shape: [1, height, width, channels])
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                for threads in [1, 2] {
                    func depthwise() throws -> (any Kernel, [Int]) {
                        try Harness.prepare([inputDescription] + constants, threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                            try DepthwiseConv2D.prepare(options, &c)
                        }
                    }
                    let (plain, shape) = try depthwise()
                    let count = shape.reduce(1, *)
                    let (swish, _) = try Harness.prepare([TensorDescription(type: .float32, shape: shape)], threads: threads, isa: isa) {
                        (c: inout PrepareContext) throws(OpError) in try HardSwish.prepare(&c)
                    }
                    let (fused, _) = try depthwise()
                    try #require(fused as? HardSwishFusing).fuseHardSwish()
                    let separate = input.withUnsafeBytes { Harness.eval(plain, input: $0.baseAddress.unsafelyUnwrapped, count: count, threads: threads) }
                        .withUnsafeBytes { Harness.eval(swish, input: $0.baseAddress.unsafelyUnwrapped, count: count, threads: threads) }
                    let together = input.withUnsafeBytes { Harness.eval(fused, input: $0.baseAddress.unsafelyUnwrapped, count: count, threads: threads) }
                    let differing = zip(together, separate).filter { !Self.same($0, $1) }.count
                    #expect(together.count == count && differing == 0,
                            "\(differing) of \(count) values differ, \(isa) \(threads) thread(s): \(height)×\(width)×\(channels) stride \(stride)")
                    cases += 1
                }
            }
        }
        #expect(cases >= 32, "only \(cases) cases ran")
    }

    /// The input normalization (MUL by a constant, ADD of a constant) fused into a first-layer
    /// convolution run directly (AVX-512), alone and with the depthwise convolution after it
    /// fused too, stores the bytes of the MUL, the ADD and the convolution run apart: padding,
    /// strides and dilations, both operand orders, the ops' clamps.
    @Test func fusedInputNormalizationIsTheOpsBytes() throws {
        var g = SeededGenerator(seed: 61)
        var cases = 0
        for round in 0..<24 {
            let batches = Int.random(in: 1...2, using: &g)
            let height = Int.random(in: 1...12, using: &g), width = Int.random(in: 1...20, using: &g)
            let inputChannels = Int.random(in: 1...4, using: &g), outputChannels = Int.random(in: 1...40, using: &g)
            let size = round % 4 == 3 ? 5 : 3, stride = Int.random(in: 1...2, using: &g), dilation = round % 5 == 4 ? 2 : 1
            let activations: [FusedActivation] = [.none, .relu, .relu6]
            let convolutionOptions = Conv2DOptions(padding: round % 3 == 0 ? .valid : .same, strideWidth: stride, strideHeight: stride,
                                                   dilationWidth: dilation, dilationHeight: dilation,
                                                   activation: activations.randomElement(using: &g) ?? .none)
            let mulOptions = ArithmeticOptions(activation: round % 6 == 5 ? .relu : .none)
            let addOptions = ArithmeticOptions(activation: activations.randomElement(using: &g) ?? .none)
            let scaleFirst = Bool.random(using: &g), offsetFirst = Bool.random(using: &g)
            let scale = Float.random(in: -0.1...0.1, using: &g), offset = Float.random(in: -2...2, using: &g)
            let k = size * size * inputChannels
            let weights = (0..<(outputChannels * k)).map { _ in Float.random(in: -1...1, using: &g) }
            let bias = (0..<outputChannels).map { _ in Float.random(in: -1...1, using: &g) }
            let input = (0..<(batches * height * width * inputChannels)).map { _ in round % 2 == 0 ? Float.random(in: 0...255, using: &g) : Self.value(&g) }
            let constants = [Harness.constant([outputChannels, size, size, inputChannels], weights), Harness.constant([outputChannels], bias)]
            let depthwiseConstants = [Harness.constant([1, 3, 3, outputChannels], (0..<(9 * outputChannels)).map { _ in Float.random(in: -1...1, using: &g) }),
                                      Harness.constant([outputChannels], (0..<outputChannels).map { _ in Float.random(in: -1...1, using: &g) })]
            defer { (constants + depthwiseConstants).forEach { $0.data.map { UnsafeMutableRawPointer(mutating: $0.baseAddress)?.deallocate() } } }
            let inputDescription = TensorDescription(type: .float32, shape: [batches, height, width, inputChannels])
            let scalar = TensorDescription(type: .float32, shape: [])
            for isa in KernelISA.allCases where isa <= KernelISA.supported && isa >= .avx512 {
                for threads in [1, 2] {
                    func convolution() throws -> (any Kernel, [Int]) {
                        try Harness.prepare([inputDescription] + constants, threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                            try Conv2D.prepare(convolutionOptions, &c)
                        }
                    }
                    let (plain, shape) = try convolution()
                    guard !shape.contains(0) else { continue }
                    let count = shape.reduce(1, *)
                    let (mul, _) = try Harness.prepare(scaleFirst ? [scalar, inputDescription] : [inputDescription, scalar], threads: threads, isa: isa) {
                        (c: inout PrepareContext) throws(OpError) in try Mul.prepare(mulOptions, &c)
                    }
                    let (add, _) = try Harness.prepare(offsetFirst ? [scalar, inputDescription] : [inputDescription, scalar], threads: threads, isa: isa) {
                        (c: inout PrepareContext) throws(OpError) in try Add.prepare(addOptions, &c)
                    }
                    let mulRange = try #require((mul as? FloatBinaryKernel)?.multiplicationRange)
                    let addRange = try #require((add as? FloatBinaryKernel)?.additionRange)
                    let affine = InputAffine(scale: scale, scaleFirst: scaleFirst, mulMinimum: mulRange.minimum, mulMaximum: mulRange.maximum,
                                             offset: offset, offsetFirst: offsetFirst, addMinimum: addRange.minimum, addMaximum: addRange.maximum)
                    func binary(_ kernel: any Kernel, _ x: [Float], _ constant: Float, constantFirst: Bool) -> [Float] {
                        x.withUnsafeBytes { x in
                            withUnsafeBytes(of: constant) { c in
                                let (first, second) = constantFirst ? (c, x) : (x, c)
                                return Harness.eval(kernel, input: first.baseAddress.unsafelyUnwrapped, extra: [second.baseAddress], count: input.count, threads: threads)
                            }
                        }
                    }
                    let normalized = binary(add, binary(mul, input, scale, constantFirst: scaleFirst), offset, constantFirst: offsetFirst)
                    let separate = normalized.withUnsafeBytes { Harness.eval(plain, input: $0.baseAddress.unsafelyUnwrapped, count: count, threads: threads) }
                    let (fused, _) = try convolution()
                    try #require((fused as? InputAffineFusing)?.fuseInputAffine(affine) == true, "\(isa): input normalization not fused")
                    let together = input.withUnsafeBytes { Harness.eval(fused, input: $0.baseAddress.unsafelyUnwrapped, count: count, threads: threads) }
                    let differing = zip(together, separate).filter { !Self.same($0, $1) }.count
                    #expect(together.count == count && differing == 0,
                            "\(differing) of \(count) values differ, \(isa) \(threads) thread(s): \([batches, height, width, inputChannels]) \(size)×\(size) stride \(stride) dilation \(dilation)")
                    // With the depthwise convolution after it fused as well (its rows made one at
                    // a time, each normalizing its input rows in the fused step's scratch).
                    let depthwiseOptions = DepthwiseConv2DOptions(padding: .same, strideWidth: 2, strideHeight: 2, dilationWidth: 1, dilationHeight: 1,
                                                                  depthMultiplier: 1, activation: .relu6)
                    let (depthwise, depthwiseShape) = try Harness.prepare([TensorDescription(type: .float32, shape: shape)] + depthwiseConstants,
                                                                          threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                        try DepthwiseConv2D.prepare(depthwiseOptions, &c)
                    }
                    let depthwiseCount = depthwiseShape.reduce(1, *)
                    let block = try #require(DepthwiseAfterConvolutionKernel.fusing(depthwise, after: fused, threads: threads))
                    let blockSeparate = separate.withUnsafeBytes { Harness.eval(depthwise, input: $0.baseAddress.unsafelyUnwrapped, count: depthwiseCount, threads: threads) }
                    let blockTogether = input.withUnsafeBytes { Harness.eval(block, input: $0.baseAddress.unsafelyUnwrapped, count: depthwiseCount, threads: threads) }
                    let blockDiffering = zip(blockTogether, blockSeparate).filter { !Self.same($0, $1) }.count
                    #expect(blockTogether.count == depthwiseCount && blockDiffering == 0,
                            "\(blockDiffering) of \(depthwiseCount) values differ, \(isa) \(threads) thread(s): with the depthwise after it")
                    cases += 1
                }
            }
        }
        if KernelISA.supported >= .avx512 { #expect(cases >= 40, "only \(cases) cases ran") }
    }
}

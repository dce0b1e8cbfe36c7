import Foundation
import Ops
import Testing
import TFLiteCore

/// A FLOAT32 depthwise convolution fused with the 1×1 (or direct first-layer) convolution
/// before it computes, row by row from a per-thread ring, exactly the bytes of the two kernels
/// run one after the other: every level the CPU has, 1 and 2 threads, batches, strides,
/// dilations, both paddings, HARD_SWISH fused on either side. With the 1×1 projection after the
/// depthwise fused too (and its residual ADD), the three ops' bytes.
@Suite struct DepthwiseAfterConvolutionTests {
    /// A prepared kernel and the shape of its output.
    static func prepare(_ inputs: [TensorDescription?], threads: Int, isa: KernelISA,
                        _ body: (inout PrepareContext) throws(OpError) -> any Kernel) throws -> (any Kernel, [Int]) {
        var context = PrepareContext(inputs: inputs, outputs: [TensorDescription(type: .float32, shape: [])], threadCount: threads, kernelISA: isa)
        let kernel = try body(&context)
        return (kernel, context.outputs[0].shape)
    }

    /// Runs `kernel` on `input` (and `extra` as its next inputs), returning `count` output floats.
    static func eval(_ kernel: any Kernel, input: UnsafeRawPointer, extra: [UnsafeRawPointer?] = [], count: Int, threads: Int) -> [Float] {
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count * 4, 1), alignment: 64)
        defer { output.deallocate() }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(kernel.scratchByteCount, 1), alignment: 64)
        defer { scratch.deallocate() }
        let inputs: [UnsafeRawPointer?] = [input] + extra
        let outputs = [output.baseAddress.unsafelyUnwrapped]
        inputs.withUnsafeBufferPointer { ins in
            outputs.withUnsafeBufferPointer { outs in
                kernel.eval(KernelArguments(inputs: ins, outputs: outs, scratch: scratch.baseAddress, runner: ParallelRunner(threadCount: threads)))
            }
        }
        return Array(UnsafeRawBufferPointer(output).prefix(count * 4)).values(as: Float.self)
    }

    @Test func fusedRowsAreTheTwoOpsBytes() throws {
        var g = SeededGenerator(seed: 31)
        var fusedCases = 0
        for round in 0..<40 {
            let batches = Int.random(in: 1...2, using: &g)
            var (height, width) = (Int.random(in: 1...12, using: &g), Int.random(in: 1...20, using: &g))
            // Every fifth a first layer: 3 channels, 3×3 stride 2 (the direct convolution at AVX-512).
            let direct = round % 5 == 2
            let inputChannels = direct ? 3 : Int.random(in: 1...20, using: &g)
            if direct { (height, width) = (Int.random(in: 4...12, using: &g), Int.random(in: 16...40, using: &g)) }
            let middle = Int.random(in: 1...40, using: &g)
            let kernel = Bool.random(using: &g) ? 3 : 5
            let stride = Int.random(in: 1...2, using: &g), dilation = Int.random(in: 1...2, using: &g)
            let padding: Padding = Bool.random(using: &g) ? .same : .valid
            let activations: [FusedActivation] = [.none, .relu, .relu6]
            let convolutionOptions = Conv2DOptions(padding: .same, strideWidth: direct ? 2 : 1, strideHeight: direct ? 2 : 1,
                                                   activation: activations.randomElement(using: &g) ?? .none)
            let depthwiseOptions = DepthwiseConv2DOptions(padding: padding, strideWidth: stride, strideHeight: stride, dilationWidth: dilation,
                                                          dilationHeight: dilation, depthMultiplier: 1,
                                                          activation: activations.randomElement(using: &g) ?? .none)
            let hardSwish = (Bool.random(using: &g), Bool.random(using: &g))
            let convolutionSize = direct ? 3 : 1
            let input = (0..<(batches * height * width * inputChannels)).map { _ in Float.random(in: -1...1, using: &g) }
            let convolutionWeights = (0..<(middle * convolutionSize * convolutionSize * inputChannels)).map { _ in Float.random(in: -1...1, using: &g) }
            let convolutionBias = (0..<middle).map { _ in Float.random(in: -1...1, using: &g) }
            let depthwiseWeights = (0..<(kernel * kernel * middle)).map { _ in Float.random(in: -1...1, using: &g) }
            let depthwiseBias = (0..<middle).map { _ in Float.random(in: -1...1, using: &g) }
            let constants = [Self.constant([middle, convolutionSize, convolutionSize, inputChannels], convolutionWeights),
                             Self.constant([middle], convolutionBias), Self.constant([1, kernel, kernel, middle], depthwiseWeights),
                             Self.constant([middle], depthwiseBias)]
            defer { constants.forEach { $0.data.map { UnsafeMutableRawPointer(mutating: $0.baseAddress)?.deallocate() } } }
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                for threads in [1, 2] {
                    let (convolution, middleShape) = try Self.prepare([TensorDescription(type: .float32, shape: [batches, height, width, inputChannels]),
                                                                       constants[0], constants[1]], threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                        try Conv2D.prepare(convolutionOptions, &c)
                    }
                    guard !middleShape.contains(0) else { continue }
                    let (depthwise, outputShape) = try Self.prepare([TensorDescription(type: .float32, shape: middleShape), constants[2], constants[3]],
                                                                    threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                        try DepthwiseConv2D.prepare(depthwiseOptions, &c)
                    }
                    guard !outputShape.contains(0) else { continue }
                    if hardSwish.0 { (convolution as? HardSwishFusing)?.fuseHardSwish() }
                    if hardSwish.1 { (depthwise as? HardSwishFusing)?.fuseHardSwish() }
                    let fused = DepthwiseAfterConvolutionKernel.fusing(depthwise, after: convolution, threads: threads)
                    // 1×1 convolutions always fuse; the direct one where it runs (AVX-512).
                    if !direct { #expect(fused != nil, "\(isa) 1×1 convolution not fused") }
                    guard let fused else { continue }
                    fusedCases += 1
                    let middleCount = middleShape.reduce(1, *), outputCount = outputShape.reduce(1, *)
                    let separate = input.withUnsafeBytes { raw in
                        Self.eval(convolution, input: raw.baseAddress.unsafelyUnwrapped, count: middleCount, threads: threads)
                    }.withUnsafeBytes { raw in
                        Self.eval(depthwise, input: raw.baseAddress.unsafelyUnwrapped, count: outputCount, threads: threads)
                    }
                    let together = input.withUnsafeBytes { raw in Self.eval(fused, input: raw.baseAddress.unsafelyUnwrapped, count: outputCount, threads: threads) }
                    #expect(together.map(\.bitPattern) == separate.map(\.bitPattern),
                            "\(isa) \(threads) thread(s): \(middleShape) → \(outputShape), depthwise \(kernel)×\(kernel) stride \(stride) dilation \(dilation) \(padding)")
                }
            }
        }
        #expect(fusedCases >= 80, "only \(fusedCases) fused cases ran")
    }

    /// A float tensor description holding `values` (freed by the caller).
    static func constant(_ shape: [Int], _ values: [Float]) -> TensorDescription {
        var d = TensorDescription(type: .float32, shape: shape)
        d.data = values.withUnsafeBytes { raw in
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: raw.count, alignment: 64)
            copy.copyMemory(from: raw)
            return UnsafeRawBufferPointer(copy)
        }
        return d
    }

    /// Expansion, depthwise and projection (an inverted residual block, with or without its
    /// residual ADD and HARD_SWISHes) fused into one kernel store the bytes of the three run one
    /// after the other, on strips of one row to many, tiles cut short, 1 and 2 threads.
    @Test func fusedBlockIsTheThreeOpsBytes() throws {
        var g = SeededGenerator(seed: 47)
        var blocks = 0, residuals = 0
        for round in 0..<30 {
            let batches = Int.random(in: 1...2, using: &g)
            let (height, width) = (Int.random(in: 1...10, using: &g), round % 3 == 0 ? Int.random(in: 40...80, using: &g) : Int.random(in: 1...20, using: &g))
            let inputChannels = Int.random(in: 1...20, using: &g), middle = Int.random(in: 1...40, using: &g)
            let stride = Int.random(in: 1...2, using: &g)
            // A residual needs the block's output shape to be its input's.
            let residual = stride == 1 && Bool.random(using: &g)
            let outputChannels = residual ? inputChannels : Int.random(in: 1...40, using: &g)
            let activations: [FusedActivation] = [.none, .relu, .relu6]
            let expandOptions = Conv2DOptions(padding: .same, strideWidth: 1, strideHeight: 1, activation: activations.randomElement(using: &g) ?? .none)
            let depthwiseOptions = DepthwiseConv2DOptions(padding: .same, strideWidth: stride, strideHeight: stride, dilationWidth: 1,
                                                          dilationHeight: 1, depthMultiplier: 1, activation: activations.randomElement(using: &g) ?? .none)
            let projectOptions = Conv2DOptions(padding: .same, strideWidth: 1, strideHeight: 1, activation: activations.randomElement(using: &g) ?? .none)
            let hardSwish = (Bool.random(using: &g), Bool.random(using: &g), Bool.random(using: &g))
            func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1...1, using: &g) } }
            let input = random(batches * height * width * inputChannels)
            let constants = [Self.constant([middle, 1, 1, inputChannels], random(middle * inputChannels)), Self.constant([middle], random(middle)),
                             Self.constant([1, 3, 3, middle], random(9 * middle)), Self.constant([middle], random(middle)),
                             Self.constant([outputChannels, 1, 1, middle], random(outputChannels * middle)), Self.constant([outputChannels], random(outputChannels))]
            defer { constants.forEach { $0.data.map { UnsafeMutableRawPointer(mutating: $0.baseAddress)?.deallocate() } } }
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                for threads in [1, 2] {
                    let (expansion, middleShape) = try Self.prepare([TensorDescription(type: .float32, shape: [batches, height, width, inputChannels]),
                                                                     constants[0], constants[1]], threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                        try Conv2D.prepare(expandOptions, &c)
                    }
                    let (depthwise, depthwiseShape) = try Self.prepare([TensorDescription(type: .float32, shape: middleShape), constants[2], constants[3]],
                                                                       threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                        try DepthwiseConv2D.prepare(depthwiseOptions, &c)
                    }
                    let (projection, outputShape) = try Self.prepare([TensorDescription(type: .float32, shape: depthwiseShape), constants[4], constants[5]],
                                                                     threads: threads, isa: isa) { (c: inout PrepareContext) throws(OpError) in
                        try Conv2D.prepare(projectOptions, &c)
                    }
                    if hardSwish.0 { (expansion as? HardSwishFusing)?.fuseHardSwish() }
                    if hardSwish.1 { (depthwise as? HardSwishFusing)?.fuseHardSwish() }
                    if hardSwish.2 { (projection as? HardSwishFusing)?.fuseHardSwish() }
                    // The residual addend is the projection's step input 3, after its weights and bias.
                    if residual {
                        #expect((projection as? ResidualAddFusing)?.fuseResidualAdd(input: 3, addendFirst: round % 2 == 0, minimum: -0.75, maximum: 2) == true)
                    }
                    let fused = try #require(DepthwiseAfterConvolutionKernel.fusing(depthwise, after: expansion, threads: threads) as? DepthwiseAfterConvolutionKernel)
                    // The strip needs scratch beyond the two-op kernel's.
                    #expect(!fused.fuseProjection(projection, scratchBudget: fused.scratchByteCount), "fused without scratch for its strip")
                    #expect(fused.fuseProjection(projection, scratchBudget: .max), "\(isa) projection not fused")
                    blocks += 1
                    residuals += residual ? 1 : 0
                    let count = outputShape.reduce(1, *)
                    let separate = input.withUnsafeBytes { raw in
                        Self.eval(expansion, input: raw.baseAddress.unsafelyUnwrapped, count: middleShape.reduce(1, *), threads: threads)
                    }.withUnsafeBytes { raw in
                        Self.eval(depthwise, input: raw.baseAddress.unsafelyUnwrapped, count: depthwiseShape.reduce(1, *), threads: threads)
                    }.withUnsafeBytes { middle in
                        input.withUnsafeBytes { addend in
                            Self.eval(projection, input: middle.baseAddress.unsafelyUnwrapped, extra: [nil, nil, addend.baseAddress], count: count, threads: threads)
                        }
                    }
                    let together = input.withUnsafeBytes { raw in
                        Self.eval(fused, input: raw.baseAddress.unsafelyUnwrapped, extra: [nil, nil, raw.baseAddress], count: count, threads: threads)
                    }
                    let differing = zip(together, separate).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(together.count == count && differing == 0,
                            "\(differing) of \(count) values differ, \(isa) \(threads) thread(s): \([batches, height, width, inputChannels]) → \(middleShape) → \(outputShape), stride \(stride), residual \(residual)")
                }
            }
        }
        #expect(blocks >= 60 && residuals >= 10, "only \(blocks) fused blocks, \(residuals) with a residual")
    }
}

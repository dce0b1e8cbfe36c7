import Foundation
import Testing
import TFLite

/// A FLOAT32 HARD_SWISH that alone reads a convolution's output runs inside the convolution,
/// a FLOAT32 depthwise convolution that alone reads a large 1×1 (or first-layer)
/// convolution's output computes that convolution row by row itself, a FLOAT32 residual ADD
/// runs inside the convolution whose output it alone reads, and a FLOAT32 MUL by a per-channel
/// vector (squeeze-and-excite) inside the 1×1 convolution that alone reads it, and an input
/// normalization (MUL and ADD of constants) inside the first convolution (unless every
/// tensor is preserved): the outputs stay bit for bit those of the ops run one after the other,
/// on 1 and 2 threads.
@Suite struct FusionTests {
    static let models: [URL] = {
        var models = [TestPaths.fixtures.appendingPathComponent("models/mobilenet_v3_style_float.tflite")]
        if TestPaths.sharedExists {
            for name in ["mobilenet_v3_small_1.0_224_float.tflite", "mobilenet_v3_large_1.0_224_float.tflite", "mobilenet_v2_1.0_224_float.tflite"] {
                models.append(TestPaths.shared.appendingPathComponent("models/bench").appendingPathComponent(name))
            }
        }
        return models
    }()

    static func output(_ model: URL, input: Data, threads: Int, preserveAll: Bool) throws -> (output: Data, steps: Int, adds: Int, muls: Int) {
        let interpreter = try Interpreter(modelPath: model.path, options: .init(threadCount: threads, preserveAllTensors: preserveAll))
        try interpreter.allocateTensors()
        try interpreter.copy(input, toInputAt: 0)
        let steps = try interpreter.invokeProfiled()
        return (try interpreter.output(at: 0).data, steps.count, steps.filter { $0.operatorName == "ADD" }.count,
                steps.filter { $0.operatorName == "MUL" }.count)
    }

    @Test(arguments: [1, 2])
    func fusedOpsChangeNoBit(threads: Int) throws {
        for model in Self.models {
            let probe = try Interpreter(modelPath: model.path)
            try probe.allocateTensors()
            let count = try probe.input(at: 0).data.count / 4
            var generator = SystemRandomNumberGenerator()
            let values = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
            let input = values.withUnsafeBytes { Data($0) }
            let fused = try Self.output(model, input: input, threads: threads, preserveAll: false)
            let separate = try Self.output(model, input: input, threads: threads, preserveAll: true)
            #expect(fused.output == separate.output, "\(model.lastPathComponent)")
            #expect(fused.steps < separate.steps, "\(model.lastPathComponent): \(fused.steps) steps fused, \(separate.steps) not")
            // Every residual ADD (the fixture's one, MobileNetV2's 10, V3-large's 10, V3-small's
            // 6) runs inside its convolution; V3's input normalization (a MUL and an ADD) inside
            // the first convolution where that runs directly (AVX-512), else its ADD remains.
            #expect(separate.adds > fused.adds, "\(model.lastPathComponent): \(fused.adds) ADD steps fused, \(separate.adds) not")
            let direct = Interpreter.kernelInstructionSet.hasPrefix("avx512")
            if model.lastPathComponent.hasPrefix("mobilenet_v3_style") || model.lastPathComponent.hasPrefix("mobilenet_v2") || direct {
                #expect(fused.adds == 0, "\(model.lastPathComponent): \(fused.adds) ADD steps left")
            }
            // The squeeze-and-excite MULs (the fixture's one, V3-small's 9, V3-large's 8) run
            // inside the 1×1 convolutions after them, and the normalization's (AVX-512); the
            // MULs on one pixel remain.
            if model.lastPathComponent.contains("v3") {
                #expect(separate.muls > fused.muls, "\(model.lastPathComponent): \(fused.muls) MUL steps fused, \(separate.muls) not")
            }
            if model.lastPathComponent.hasPrefix("mobilenet_v3_") && model.lastPathComponent.contains("_224_") && direct {
                let expected = model.lastPathComponent.contains("small") ? 10 : 9
                #expect(separate.muls - fused.muls == expected, "\(model.lastPathComponent): \(separate.muls - fused.muls) MUL steps fused")
            }
        }
    }

    /// An input normalization (MUL and ADD of constants) before a first-layer convolution with a
    /// dilation of a million rows: fused, the convolution normalizes only the input rows that
    /// exist (not a million-row band), runs within a 1 MB budget and gives the unfused bytes.
    @Test(arguments: [1, 2])
    func normalizationBeforeAHugeDilationStaysSmall(threads: Int) throws {
        typealias F = TestModelBuilder.Field
        func floats(_ values: [Float]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { [UInt8]($0) } } }
        let weights: [Float] = (0..<108).map { (i: Int) -> Float in Float((i * 37) % 11) / 11 - 0.5 }
        let tensors: [TestModel.TensorSpec] = [
            .init(shape: [1, 6, 5, 3], name: "x"), .init(shape: [], buffer: 1, name: "scale"), .init(shape: [1, 6, 5, 3], name: "m"),
            .init(shape: [], buffer: 2, name: "offset"), .init(shape: [1, 6, 5, 3], name: "a"),
            .init(shape: [4, 3, 3, 3], buffer: 3, name: "w"), .init(shape: [4], buffer: 4, name: "b"), .init(shape: [1, 6, 5, 4], name: "y")]
        let convolutionOptions: [(Int, F)] = [(0, .i8(0)), (1, .i32(1)), (2, .i32(1)), (3, .i8(0)), (4, .i32(1)), (5, .i32(1_000_000))]
        let operators: [TestModel.OperatorSpec] = [
            .init(opcode: 0, inputs: [0, 1], outputs: [2]), .init(opcode: 1, inputs: [3, 2], outputs: [4]),
            .init(opcode: 2, inputs: [4, 5, 6], outputs: [7], optionsType: 1, options: convolutionOptions)]
        let buffers: [[UInt8]] = [[], floats([1 / 127.5]), floats([-1]), floats(weights), floats([0.25, -0.5, 0, 1])]
        // MUL, ADD, CONV_2D.
        let model = TestModel(builtinCodes: [18, 0, 3], tensors: tensors, operators: operators, inputs: [0], outputs: [7], buffers: buffers)
        let values: [Float] = (0..<90).map { (i: Int) -> Float in Float((i * 53) % 256) }
        let input = values.withUnsafeBytes { Data($0) }
        func run(preserveAll: Bool) throws -> (Data, Int) {
            let interpreter = try Interpreter(modelData: model.data, options: .init(threadCount: threads, memoryBudget: 1 << 20, preserveAllTensors: preserveAll))
            try interpreter.allocateTensors()
            try interpreter.copy(input, toInputAt: 0)
            let steps = try interpreter.invokeProfiled().count
            return (try interpreter.output(at: 0).data, steps)
        }
        let (fused, steps) = try run(preserveAll: false)
        let (separate, separateSteps) = try run(preserveAll: true)
        #expect(fused == separate && fused.count == 6 * 5 * 4 * 4)
        #expect(separateSteps == 3)
        if Interpreter.kernelInstructionSet.hasPrefix("avx512") { #expect(steps == 1, "\(steps) steps: the normalization was not fused") }
    }

    /// An INT8 or UINT8 1×1 convolution whose output only a residual ADD reads: fused (with the
    /// byte kernels, the ADD runs on each range of rows the convolution stores, in place), the
    /// bytes of the two ops run apart — the addend first or second, on 1 and 2 threads, split
    /// by rows (12×12 pixels) and by panels (one pixel, 256 → 256 channels).
    @Test(arguments: [1, 2])
    func quantizedResidualAddChangesNoByte(threads: Int) throws {
        typealias F = TestModelBuilder.Field
        for type: Int8 in [9, 3] {  // INT8, UINT8
            let signed = type == 9
            for (side, k, n) in [(12, 24, 40), (1, 256, 256)] {
                for addendFirst in [false, true] {
                    let (zx, zw, zy, zr, zo): (Int64, Int64, Int64, Int64, Int64) = signed ? (-3, 0, 5, -10, 2) : (125, 120, 131, 118, 127)
                    let pixels = side * side
                    let tensors: [TestModel.TensorSpec] = [
                        .init(shape: [1, Int32(side), Int32(side), Int32(k)], type: type, name: "x", scales: [0.05], zeroPoints: [zx]),
                        .init(shape: [Int32(n), 1, 1, Int32(k)], type: type, buffer: 1, name: "w", scales: [0.02], zeroPoints: [zw]),
                        .init(shape: [Int32(n)], type: 2, buffer: 2, name: "b", scales: [0.001], zeroPoints: [0]),
                        .init(shape: [1, Int32(side), Int32(side), Int32(n)], type: type, name: "y", scales: [0.1], zeroPoints: [zy]),
                        .init(shape: [1, Int32(side), Int32(side), Int32(n)], type: type, name: "r", scales: [0.08], zeroPoints: [zr]),
                        .init(shape: [1, Int32(side), Int32(side), Int32(n)], type: type, name: "out", scales: [0.12], zeroPoints: [zo])]
                    let convolutionOptions: [(Int, F)] = [(0, .i8(0)), (1, .i32(1)), (2, .i32(1)), (3, .i8(0))]
                    let operators: [TestModel.OperatorSpec] = [
                        .init(opcode: 0, inputs: [0, 1, 2], outputs: [3], optionsType: 1, options: convolutionOptions),
                        .init(opcode: 1, inputs: addendFirst ? [4, 3] : [3, 4], outputs: [5], optionsType: 11, options: [(0, .i8(0))])]
                    let weights = (0..<(n * k)).map { UInt8(truncatingIfNeeded: ($0 * 37 + $0 / k * 11) % 251) }
                    let bias = (0..<n).map { Int32($0 * 97 % 401) - 200 }
                    // CONV_2D, ADD.
                    let model = TestModel(builtinCodes: [3, 0], tensors: tensors, operators: operators, inputs: [0, 4], outputs: [5],
                                          buffers: [[], weights, bias.littleEndianBytes])
                    var generator = SystemRandomNumberGenerator()
                    let x = Data((0..<(pixels * k)).map { _ in UInt8.random(in: 0...255, using: &generator) })
                    let r = Data((0..<(pixels * n)).map { _ in UInt8.random(in: 0...255, using: &generator) })
                    func run(preserveAll: Bool) throws -> (Data, Int) {
                        let interpreter = try Interpreter(modelData: model.data, options: .init(threadCount: threads, preserveAllTensors: preserveAll))
                        try interpreter.allocateTensors()
                        try interpreter.copy(x, toInputAt: 0)
                        try interpreter.copy(r, toInputAt: 1)
                        let steps = try interpreter.invokeProfiled().count
                        return (try interpreter.output(at: 0).data, steps)
                    }
                    let (fused, steps) = try run(preserveAll: false)
                    let (separate, separateSteps) = try run(preserveAll: true)
                    let label = "type \(type), \(side)×\(side)×\(k) → \(n), addend first: \(addendFirst)"
                    #expect(fused == separate && fused.count == pixels * n, "\(label)")
                    #expect(separateSteps == 2)
                    if Interpreter.kernelInstructionSet == "avx512vnni" { #expect(steps == 1, "\(label): \(steps) steps, the ADD was not fused") }
                }
            }
        }
    }
}

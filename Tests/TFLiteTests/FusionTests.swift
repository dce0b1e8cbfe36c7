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
}

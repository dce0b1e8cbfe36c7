import Ops
import Testing
import TFLiteCore

@Suite struct MeanTests {
    /// MEAN over adjacent axes (the contiguous path) and over axes with a kept dimension
    /// between them (the general walk) against a plain double-precision mean.
    @Test(arguments: [[1, 2], [1, 3], [0, 2], [3], [0, 1, 2, 3]])
    func floatMeanMatchesAPlainMean(axes: [Int]) throws {
        let shape = [2, 3, 4, 5]
        let values = (0..<120).map { Float(($0 * 37) % 101) / 10 - 5 }
        let inputs: [KernelHarness.Input?] = [.init(.float32, shape, values), .init(.int32, [axes.count], axes.map(Int32.init), constant: true)]
        let bytes = try KernelHarness.run(inputs: inputs, outputs: [TensorDescription(type: .float32, shape: [])]) { (ctx: inout PrepareContext) throws(OpError) in
            try Mean.prepare(ReducerOptions(keepDims: false), &ctx) }[0]
        let actual = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        // The expected means, outputs in row-major order of the kept dimensions.
        let kept = (0..<4).filter { !axes.contains($0) }
        var sums: [Int: (Double, Int)] = [:]
        for index in 0..<120 {
            var rest = index, coordinates = [Int](repeating: 0, count: 4)
            for d in (0..<4).reversed() { coordinates[d] = rest % shape[d]; rest /= shape[d] }
            let key = kept.reduce(0) { $0 * shape[$1] + coordinates[$1] }
            let (sum, count) = sums[key] ?? (0, 0)
            sums[key] = (sum + Double(values[index]), count + 1)
        }
        let expected = sums.keys.sorted().map { Float(sums[$0]!.0 / Double(sums[$0]!.1)) }
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) { #expect(abs(a - e) <= 1e-5, "axes \(axes)") }
    }
}

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

    /// A global average pool (MobileNet's squeeze): two threads take halves of the channels and
    /// give the bytes one thread gives, each within 1e-5 of a double-precision mean.
    @Test func globalPoolSplitsChannelsOverThreads() throws {
        let (height, width, channels) = (7, 7, 200)
        let values = (0..<(height * width * channels)).map { Float(($0 * 37) % 101) / 10 - 5 }
        let inputs: [KernelHarness.Input?] = [.init(.float32, [1, height, width, channels], values), .init(.int32, [2], [Int32(1), 2], constant: true)]
        func run(threads: Int) throws -> [Float] {
            try KernelHarness.run(threads: threads, inputs: inputs, outputs: [TensorDescription(type: .float32, shape: [])]) { (ctx: inout PrepareContext) throws(OpError) in
                try Mean.prepare(ReducerOptions(keepDims: true), &ctx) }[0].values(as: Float.self)
        }
        let one = try run(threads: 1), two = try run(threads: 2)
        #expect(one.count == channels)
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
        for c in 0..<channels {
            let mean = (0..<(height * width)).reduce(0.0) { $0 + Double(values[$1 * channels + c]) } / Double(height * width)
            #expect(abs(Double(two[c]) - mean) <= 1e-5, "channel \(c)")
        }
    }
}

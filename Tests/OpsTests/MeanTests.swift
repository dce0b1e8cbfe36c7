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

    /// A global average pool (MobileNet's squeeze): two threads take parts of the rows and give
    /// the bytes one thread gives, each within 1e-5 of a double-precision mean.
    @Test func globalPoolSplitsRowsOverThreads() throws {
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

    /// A FLOAT32 global average pool gives the same bytes at every kernel level (AVX-512 adds
    /// the rows with its own loop), on 1 and 2 threads: a NaN in one channel stays NaN, an
    /// infinity stays infinite, a channel of −0 gives +0 (sums start at +0, as the reference's).
    @Test func floatGlobalPoolIsTheSameAtEveryLevel() throws {
        let (height, width, channels) = (14, 14, 200)
        var values = (0..<(height * width * channels)).map { Float(($0 * 53) % 97) / 7 - 6 }
        for pixel in 0..<(height * width) { values[pixel * channels + 5] = -0.0 }
        values[17 * channels + 9] = .nan
        values[30 * channels + 11] = .infinity
        values[40 * channels + 195] = .nan   // among the last channels, summed one by one
        let inputs: [KernelHarness.Input?] = [.init(.float32, [1, height, width, channels], values), .init(.int32, [2], [Int32(1), 2], constant: true)]
        func run(_ isa: KernelISA, threads: Int) throws -> [Float] {
            try KernelHarness.run(threads: threads, isa: isa, inputs: inputs, outputs: [TensorDescription(type: .float32, shape: [])]) {
                (ctx: inout PrepareContext) throws(OpError) in try Mean.prepare(ReducerOptions(keepDims: true), &ctx) }[0].values(as: Float.self)
        }
        let reference = try run(.baseline, threads: 1)
        #expect(reference.count == channels && reference[9].isNaN && reference[195].isNaN && reference[11] == .infinity)
        // The sums start at +0, as the reference's: a channel of −0 averages to +0.
        #expect(reference[5].bitPattern == Float(0).bitPattern)
        for isa in KernelISA.allCases where isa <= KernelISA.supported {
            for threads in [1, 2] {
                #expect(try run(isa, threads: threads).map(\.bitPattern) == reference.map(\.bitPattern), "\(isa), \(threads) thread(s)")
            }
        }
    }

    /// An INT8 and a UINT8 global average pool on 1 and 2 threads and at every instruction-set
    /// level (the sums 64, 16 and, masked, 8 channels at a time): the same bytes, each LiteRT's
    /// reference value (QuantizedMeanOrSum: the sum less zp_in · n through the multiplier
    /// s_in/s_out with 1/n folded in, plus zp_out, clamped) and the real mean within ±1; 49
    /// (7×7) and 196 (14×14) pixels, 200 channels (a partial vector of 8 at the end).
    @Test(arguments: [(7, DataType.int8), (14, DataType.int8), (7, DataType.uint8)])
    func quantizedGlobalPoolIsTheSameOnAnyThreadCount(side: Int, type: DataType) throws {
        let channels = 200
        let (zi, zo): (Int32, Int32) = type == .int8 ? (-7, 3) : (120, 131)
        let (si, so): (Float, Float) = (0.05, 0.03)
        let raw = (0..<(side * side * channels)).map { ($0 * 37 + $0 / channels * 11) % 256 }
        let bytes = raw.map { type == .int8 ? UInt8(truncatingIfNeeded: $0 - 128) : UInt8($0) }
        let inputs: [KernelHarness.Input?] = [
            .init(type, [1, side, side, channels], bytes, quantization: QuantizationParameters(scales: [si], zeroPoints: [Int64(zi)])),
            .init(.int32, [2], [Int32(1), 2], constant: true)]
        let output = TensorDescription(type: type, shape: [], quantization: QuantizationParameters(scales: [so], zeroPoints: [Int64(zo)]))
        func run(_ isa: KernelISA = .current, threads: Int) throws -> [UInt8] {
            try KernelHarness.run(threads: threads, isa: isa, inputs: inputs, outputs: [output]) { (ctx: inout PrepareContext) throws(OpError) in
                try Mean.prepare(ReducerOptions(keepDims: true), &ctx) }[0]
        }
        let one = try run(threads: 1), two = try run(threads: 2)
        #expect(one.count == channels)
        #expect(one == two)
        for isa in KernelISA.allCases where isa <= KernelISA.supported {
            for threads in [1, 2] { #expect(try run(isa, threads: threads) == two, "\(isa), \(threads) thread(s)") }
        }
        let (lo, hi) = type == .int8 ? (-128.0, 127.0) : (0.0, 255.0)
        let n = side * side
        let base = QuantizedMultiplier(Double(si) / Double(so))
        let shift = min(63 - UInt64(n).leadingZeroBitCount, 32, 31 + base.shift)
        let folded = QuantizedMultiplier(multiplier: Int32(truncatingIfNeeded: (Int64(base.multiplier) << Int64(shift)) / Int64(n)),
                                         shift: base.shift - shift)
        for c in 0..<channels {
            let value = { (b: UInt8) in type == .int8 ? Double(Int8(bitPattern: b)) : Double(b) }
            let mean = (0..<n).reduce(0.0) { $0 + value(bytes[$1 * channels + c]) } / Double(n)
            let expected = min(hi, max(lo, Double(si) / Double(so) * (mean - Double(zi)) + Double(zo)))
            #expect(abs(value(two[c]) - expected) <= 1, "channel \(c): \(value(two[c])) vs \(expected)")
            let sum = (0..<n).reduce(Int32(0)) { $0 + Int32(value(bytes[$1 * channels + c])) }
            let reference = min(Int32(hi), max(Int32(lo), folded.apply(sum - zi * Int32(n)) + zo))
            #expect(Int32(value(two[c])) == reference, "channel \(c)")
        }
    }
}

import Ops
import Testing
import TFLiteCore

/// Windows that start past the input's right edge contribute nothing. (Width 2, kernel 2,
/// dilation 3, stride 2, SAME: output column 0's only in-row tap would be input column 2.)
@Suite struct DepthwiseEdgeTests {
    @Test func tapsBeyondTheRowAreSkipped() throws {
        let options = DepthwiseConv2DOptions(padding: .same, strideWidth: 2, strideHeight: 1, dilationWidth: 3, dilationHeight: 1,
                                             depthMultiplier: 1, activation: .none)
        // Input row [1, 2] followed in memory by a sentinel a wrong read would pick up.
        let out = try KernelHarness.run(
            inputs: [.init(.float32, [1, 1, 2, 1], [Float(1), 2]),
                     .init(.float32, [1, 1, 2, 1], [Float(10), 100], constant: true)],
            outputs: [TensorDescription(type: .float32, shape: [])]
        ) { (c: inout PrepareContext) throws(OpError) in try DepthwiseConv2D.prepare(options, &c) }
        #expect(out[0].values(as: Float.self) == [0])

        let q = QuantizationParameters(scales: [0.5], zeroPoints: [0])
        let quantized = try KernelHarness.run(
            inputs: [.init(.int8, [1, 1, 2, 1], [Int8(1), 2], quantization: q),
                     .init(.int8, [1, 1, 2, 1], [Int8(10), 100], quantization: QuantizationParameters(scales: [0.1], zeroPoints: [0], quantizedDimension: 3), constant: true)],
            outputs: [TensorDescription(type: .int8, shape: [], quantization: QuantizationParameters(scales: [1], zeroPoints: [3]))]
        ) { (c: inout PrepareContext) throws(OpError) in try DepthwiseConv2D.prepare(options, &c) }
        #expect(quantized[0].values(as: Int8.self) == [3])
    }

    /// A FLOAT32 depthwise convolution with fewer output rows than two per thread splits its
    /// channels over the threads (16 at a time, 200 channels: a partial vector at the end):
    /// 2 threads give the bytes 1 thread gives, and each value is the plain sum of its taps.
    @Test func fewRowsSplitTheirChannelsOverThreads() throws {
        let options = DepthwiseConv2DOptions(padding: .same, strideWidth: 1, strideHeight: 1, dilationWidth: 1, dilationHeight: 1,
                                             depthMultiplier: 1, activation: .none)
        let (height, width, channels) = (3, 5, 200)
        let input = (0..<(height * width * channels)).map { Float(($0 * 37) % 101) / 16 - 3 }
        let filter = (0..<(9 * channels)).map { Float(($0 * 53) % 67) / 32 - 1 }
        func run(threads: Int) throws -> [Float] {
            try KernelHarness.run(threads: threads, inputs: [.init(.float32, [1, height, width, channels], input),
                                                             .init(.float32, [1, 3, 3, channels], filter, constant: true)],
                                  outputs: [TensorDescription(type: .float32, shape: [])]
            ) { (c: inout PrepareContext) throws(OpError) in try DepthwiseConv2D.prepare(options, &c) }[0].values(as: Float.self)
        }
        let one = try run(threads: 1), two = try run(threads: 2)
        #expect(one.count == height * width * channels)
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
        for y in 0..<height {
            for x in 0..<width {
                for c in [0, 15, 16, 199] {
                    var sum = 0.0
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let iy = y + ky - 1, ix = x + kx - 1
                            guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                            sum += Double(input[(iy * width + ix) * channels + c]) * Double(filter[(ky * 3 + kx) * channels + c])
                        }
                    }
                    #expect(abs(Double(two[(y * width + x) * channels + c]) - sum) <= 1e-4, "(\(y), \(x), \(c))")
                }
            }
        }
    }
}

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
}

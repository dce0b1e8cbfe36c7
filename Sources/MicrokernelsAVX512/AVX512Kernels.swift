import Microkernels

/// The micro-kernels compiled for AVX-512 (16-channel panels in 512-bit registers). Built
/// with `-target-cpu skylake-avx512` on x86-64; called only when the CPU has AVX-512 F, BW, DQ and VL.
package enum AVX512Kernels {
    package static let panelWidth = 16

    package static func floatRows(_ p: FloatGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                  out: UnsafeMutablePointer<Float>, outStride: Int) {
        floatGEMMRows(SIMD16<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, fused: true)
    }

    package static func integerRows(_ p: IntegerGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                    out: UnsafeMutablePointer<Int8>, outStride: Int, scratch: UnsafeMutablePointer<Int32>) {
        integerGEMMRows(SIMD16<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, scratch: scratch, fused: true)
    }

    package static func integerRows(_ p: IntegerGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                    out: UnsafeMutablePointer<UInt8>, outStride: Int, scratch: UnsafeMutablePointer<Int32>) {
        integerGEMMRows(SIMD16<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, scratch: scratch, fused: true)
    }

    package static func depthwiseFloatRow(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, bias: UnsafePointer<Float>,
                                          out: UnsafeMutablePointer<Float>, minimum: Float, maximum: Float) {
        Microkernels.depthwiseFloatRow(SIMD16<Float>.self, s, inputs, bias: bias, out: out, minimum: minimum, maximum: maximum, fused: true)
    }

    package static func depthwiseIntegerRow(_ s: DepthwiseRowShape, _ inputs: DepthwiseRowInputs, acc: UnsafeMutablePointer<Int32>) {
        Microkernels.depthwiseIntegerRow(SIMD16<Float>.self, s, inputs, acc: acc, fused: true)
    }

    package static func zeroPointFreeFloats(_ source: UnsafePointer<Int8>, count: Int, zeroPoint: Int32, into to: UnsafeMutablePointer<Float>) {
        Microkernels.zeroPointFreeFloats(source, count: count, zeroPoint: zeroPoint, into: to)
    }

    package static func zeroPointFreeFloats(_ source: UnsafePointer<UInt8>, count: Int, zeroPoint: Int32, into to: UnsafeMutablePointer<Float>) {
        Microkernels.zeroPointFreeFloats(source, count: count, zeroPoint: zeroPoint, into: to)
    }

    package static func requantize(_ r: RequantizationVectors, _ acc: UnsafePointer<Int32>, count: Int, outputZeroPoint: Int32,
                                   minimum: Int32, maximum: Int32, into out: UnsafeMutablePointer<Int8>) {
        r.requantize(acc, channel: 0, count: count, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum, into: out)
    }

    package static func requantize(_ r: RequantizationVectors, _ acc: UnsafePointer<Int32>, count: Int, outputZeroPoint: Int32,
                                   minimum: Int32, maximum: Int32, into out: UnsafeMutablePointer<UInt8>) {
        r.requantize(acc, channel: 0, count: count, outputZeroPoint: outputZeroPoint, minimum: minimum, maximum: maximum, into: out)
    }

    package static func integerAccumulatorRows(_ p: IntegerGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                               out: UnsafeMutablePointer<Int32>, outStride: Int) {
        integerGEMMAccumulatorRows(SIMD16<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, fused: true)
    }
}

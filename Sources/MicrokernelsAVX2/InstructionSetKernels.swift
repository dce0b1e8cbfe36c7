import Microkernels

/// The micro-kernels' entry points for one instruction-set level, 16 channels per panel.
///
/// This one file is compiled into two modules: MicrokernelsAVX2 (built with
/// `-target-cpu haswell`: AVX2 + FMA, 256-bit registers) and MicrokernelsAVX512 (a symbolic link
/// to this file, built with `-target-cpu skylake-avx512`: 512-bit registers). Ops names them
/// `MicrokernelsAVX2.InstructionSetKernels` and `MicrokernelsAVX512.InstructionSetKernels` and
/// calls each only when the CPU has that level.
package enum InstructionSetKernels {
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

    package static func requantizeRows(_ r: RequantizationVectors, _ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int,
                                       outputZeroPoint: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutablePointer<Int8>) {
        r.requantizeRows(acc, rows: rows, accStride: stride, channel: 0, count: count, outputZeroPoint: outputZeroPoint,
                         minimum: minimum, maximum: maximum, into: out, outStride: stride)
    }

    package static func requantizeRows(_ r: RequantizationVectors, _ acc: UnsafePointer<Int32>, rows: Int, stride: Int, count: Int,
                                       outputZeroPoint: Int32, minimum: Int32, maximum: Int32, into out: UnsafeMutablePointer<UInt8>) {
        r.requantizeRows(acc, rows: rows, accStride: stride, channel: 0, count: count, outputZeroPoint: outputZeroPoint,
                         minimum: minimum, maximum: maximum, into: out, outStride: stride)
    }

    package static func integerAccumulatorRows(_ p: IntegerGEMMPanels, rows: Int, a: UnsafePointer<Float>, aStride: Int,
                                               out: UnsafeMutablePointer<Int32>, outStride: Int) {
        integerGEMMAccumulatorRows(SIMD16<Float>.self, p, rows: rows, a: a, aStride: aStride, out: out, outStride: outStride, fused: true)
    }
}

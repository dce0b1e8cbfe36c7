#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TFLiteCore

/// SOFTMAX over the last dimension: `exp(β(x − max)) / Σ exp(β(x − max))`.
/// - FLOAT32 as reference/softmax.h: `expf` per element, summed in order, then divided.
/// - UINT8 and INT8 inputs with UINT8/INT8 (same type) or INT16 outputs as TFLite's reference
///   kernel (activations.cc `SoftmaxPrepare` for kReference, reference/softmax.h): differences
///   from the row maximum scaled by β·s_in to Q5.26 (`PreprocessSoftmaxScaling`), dropped below
///   `-CalculateInputRadius`, gemmlowp's exp and reciprocal, and the output written on the scale
///   1/2^bits with the type's minimum as zero point, whatever the output tensor says (TFLite
///   checks INT8 outputs for scale 1/256 and zero point −128 and checks nothing else).
package enum Softmax {
    package static func prepare(_ options: SoftmaxOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.float32, .int8, .uint8])
        guard input.rank >= 1 else { throw .invalidShape("SOFTMAX needs an input of rank 1 or more") }
        let depth = input.shape[input.rank - 1]
        let rows = depth == 0 ? 0 : input.elementCount / depth
        switch (input.type, output.type) {
        case (.float32, .float32):
            return FloatSoftmaxKernel(rows: rows, depth: depth, beta: options.beta)
        case (.int8, .int8):
            let (scale, zeroPoint) = try output.perTensorQuantization("SOFTMAX output")
            guard zeroPoint == -128 else { throw .invalidQuantization("INT8 SOFTMAX output zero point must be −128, got \(zeroPoint)") }
            guard abs(scale - 1.0 / 256) <= 0.001 / 256 else {
                throw .invalidQuantization("INT8 SOFTMAX output scale must be 1/256, got \(scale)")
            }
            return QuantizedSoftmaxKernel(.int8ToInt8, rows: rows, depth: depth, parameters: try QuantizedParameters(options, input: input))
        case (.uint8, .uint8):
            return QuantizedSoftmaxKernel(.uint8ToUInt8, rows: rows, depth: depth, parameters: try QuantizedParameters(options, input: input))
        case (.int8, .int16):
            return QuantizedSoftmaxKernel(.int8ToInt16, rows: rows, depth: depth, parameters: try QuantizedParameters(options, input: input))
        case (.uint8, .int16):
            return QuantizedSoftmaxKernel(.uint8ToInt16, rows: rows, depth: depth, parameters: try QuantizedParameters(options, input: input))
        default:
            throw .unsupportedType("SOFTMAX from \(input.type.schemaName) to \(output.type.schemaName) is not supported")
        }
    }

    /// What `SoftmaxPrepare` computes for 8-bit inputs (kReference).
    package struct QuantizedParameters: Sendable {
        package static let scaledDiffIntegerBits = 5
        package static let accumulationIntegerBits = 12
        package var inputBetaMultiplier: Int32
        package var inputBetaLeftShift: Int
        package var diffMin: Int32

        package init(_ options: SoftmaxOptions, input: TensorDescription) throws(OpError) {
            let (inputScale, _) = try input.perTensorQuantization("SOFTMAX input")
            // PreprocessSoftmaxScaling: min(β · s · 2^(31 − 5), 2^31 − 1) in double, then
            // QuantizeMultiplierGreaterThanOne, which requires a factor above 1.
            let real = min(Double(options.beta) * Double(inputScale) * Double(1 << (31 - Self.scaledDiffIntegerBits)),
                           Double((Int64(1) << 31) - 1))
            guard real > 1, real.isFinite else {
                throw .invalidQuantization("SOFTMAX β · input scale (\(options.beta) · \(inputScale)) is too small")
            }
            (inputBetaMultiplier, inputBetaLeftShift) = Self.quantizeMultiplier(real)
            // diff_min = −CalculateInputRadius(5, shift): floor((2^5 − 1) · 2^(31 − 5) / 2^shift).
            let maxInputRescaled = Double((1 << Self.scaledDiffIntegerBits) - 1)
                * Double(Int64(1) << (31 - Self.scaledDiffIntegerBits)) / Double(Int64(1) << inputBetaLeftShift)
            diffMin = -Int32(maxInputRescaled.rounded(.down))
        }

        /// TFLite's `QuantizeMultiplier` as built by default (double rounding): unlike
        /// `QuantizedMultiplier`, a factor of 2^30 or more keeps its shift of 31. Here that only
        /// matters for `diff_min`, which is then 0: only the row's maxima count.
        static func quantizeMultiplier(_ real: Double) -> (multiplier: Int32, shift: Int) {
            let exponent = real.exponent + 1                 // frexp: real = fraction · 2^exponent
            let fraction = real / Double(sign: .plus, exponent: exponent, significand: 1)
            var fixed = Int64((fraction * Double(Int64(1) << 31)).rounded(.toNearestOrAwayFromZero))
            var shift = exponent
            if fixed == Int64(1) << 31 {
                fixed /= 2
                shift += 1
            }
            return (Int32(fixed), shift)
        }

        /// `MultiplyByQuantizedMultiplierGreaterThanOne(diff, multiplier, shift)`: the difference
        /// from the row maximum in Q5.26 (`x * (1 << shift)` wraps as the C++ does in practice).
        @inline(__always)
        package func scaledDifference(_ diff: Int32) -> Int32 {
            saturatingRoundingDoublingHighMul(diff &* Int32(truncatingIfNeeded: Int64(1) << inputBetaLeftShift), inputBetaMultiplier)
        }
    }
}

final class FloatSoftmaxKernel: Kernel {
    let rows: Int, depth: Int, beta: Float

    init(rows: Int, depth: Int, beta: Float) {
        self.rows = rows
        self.depth = depth
        self.beta = beta
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
        let depth = depth, beta = beta
        args.runner.forEachRange(count: rows, grain: max(1, elementwiseParallelGrain / max(depth, 1)), context: (input, output, depth, beta)) { c, range in
            let (input, output, depth, beta) = c
            for row in range {
                let x = input + row * depth, y = output + row * depth
                var largest = -Float.greatestFiniteMagnitude
                for c in 0..<depth { largest = max(largest, x[c]) }
                var sum: Float = 0
                for c in 0..<depth {
                    let e = expf((x[c] - largest) * beta)
                    y[c] = e
                    sum += e
                }
                for c in 0..<depth { y[c] /= sum }
            }
        }
    }
}

/// The reference quantized softmax, row by row.
final class QuantizedSoftmaxKernel: Kernel {
    enum Types { case int8ToInt8, uint8ToUInt8, int8ToInt16, uint8ToInt16 }
    let types: Types
    let rows: Int, depth: Int
    let parameters: Softmax.QuantizedParameters

    init(_ types: Types, rows: Int, depth: Int, parameters: Softmax.QuantizedParameters) {
        self.types = types
        self.rows = rows
        self.depth = depth
        self.parameters = parameters
    }

    func eval(_ args: KernelArguments) {
        switch types {
        case .int8ToInt8: run(Int8.self, Int8.self, args)
        case .uint8ToUInt8: run(UInt8.self, UInt8.self, args)
        case .int8ToInt16: run(Int8.self, Int16.self, args)
        case .uint8ToInt16: run(UInt8.self, Int16.self, args)
        }
    }

    @inline(__always)
    private func run<Input: FixedWidthInteger, Output: FixedWidthInteger>(_: Input.Type, _: Output.Type, _ args: KernelArguments) {
        let input = args.input(0, as: Input.self), output = args.output(0, as: Output.self)
        let depth = depth, parameters = parameters
        let context = (input, output, depth, parameters)
        args.runner.forEachRange(count: rows, grain: max(1, (elementwiseParallelGrain / 16) / max(depth, 1)), context: context) { c, range in
            let (input, output, depth, parameters) = c
            for row in range {
                QuantizedSoftmaxKernel.softmaxRow(input + row * depth, output + row * depth, depth: depth, parameters)
            }
        }
    }

    /// One row of reference/softmax.h's quantized `Softmax`.
    @inline(__always)
    static func softmaxRow<Input: FixedWidthInteger, Output: FixedWidthInteger>(
        _ x: UnsafePointer<Input>, _ y: UnsafeMutablePointer<Output>, depth: Int, _ p: Softmax.QuantizedParameters
    ) {
        let accumulationBits = Softmax.QuantizedParameters.accumulationIntegerBits
        let scaledDiffBits = Softmax.QuantizedParameters.scaledDiffIntegerBits
        var largest = Input.min
        for c in 0..<depth { largest = max(largest, x[c]) }
        let maximum = Int32(largest)
        var sumOfExps: Int32 = 0
        for c in 0..<depth {
            let diff = Int32(x[c]) &- maximum
            if diff >= p.diffMin {
                let exp = expOnNegativeValues(p.scaledDifference(diff), integerBits: scaledDiffBits)
                sumOfExps = sumOfExps &+ rescale(exp, from: 0, to: accumulationBits)
            }
        }
        let (shiftedScale, bitsOverUnit) = reciprocal(sumOfExps, integerBits: accumulationBits)
        // TFLite CHECKs 0 ≤ exponent ≤ 31 and aborts otherwise (8-bit output, 512 or more
        // entries all at the row maximum); here the arithmetic runs on without trapping.
        let exponent = bitsOverUnit + 31 - Output.bitWidth
        let outputMin = Int32(Output.min), outputMax = Int32(Output.max)
        for c in 0..<depth {
            let diff = Int32(x[c]) &- maximum
            if diff >= p.diffMin {
                let exp = expOnNegativeValues(p.scaledDifference(diff), integerBits: scaledDiffBits)
                let unsaturated = roundingDivideByPOT(saturatingRoundingDoublingHighMul(shiftedScale, exp), exponent)
                y[c] = Output(truncatingIfNeeded: max(min(unsaturated &+ outputMin, outputMax), outputMin))
            } else {
                y[c] = Output.min
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TFLiteCore

/// SOFTMAX over the last dimension: `exp(β(x − max)) / Σ exp(β(x − max))`. FLOAT32; UINT8 and
/// INT8 with TFLite's reference fixed-point arithmetic (Q5.26 differences, gemmlowp exp and
/// reciprocal), output scale 1/256.
package enum Softmax {
    package static func prepare(_ options: SoftmaxOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.float32, .int8, .uint8])
        guard input.rank >= 1, let depth = input.shape.last, depth >= 1 else { throw .invalidShape("SOFTMAX needs a non-empty last dimension") }
        guard output.type == input.type else { throw .unsupportedType("output must be \(input.type.schemaName)") }
        let rows = input.elementCount / depth
        if input.type == .float32 { return FloatSoftmaxKernel(rows: rows, depth: depth, beta: options.beta) }
        let (inputScale, _) = try input.perTensorQuantization("input")
        _ = try output.perTensorQuantization("output")
        // PreprocessSoftmaxScaling with 5 integer bits, and CalculateInputRadius.
        let scaledDiffIntegerBits = 5
        let real = min(Double(options.beta) * Double(inputScale) * Double(1 << (31 - scaledDiffIntegerBits)), Double((1 << 31) - 1))
        let multiplier = QuantizedMultiplier(real)
        guard multiplier.shift >= 0 else { throw .invalidQuantization("SOFTMAX input scale × beta is too small") }
        let maxInputRescaled = Double((1 << scaledDiffIntegerBits) - 1) * Double(Int64(1) << (31 - scaledDiffIntegerBits)) / Double(Int64(1) << multiplier.shift)
        let diffMin = -Int32(maxInputRescaled.rounded(.down))
        if input.type == .uint8 {
            return QuantizedSoftmaxKernel<UInt8>(rows: rows, depth: depth, multiplier: multiplier, diffMin: diffMin)
        }
        return QuantizedSoftmaxKernel<Int8>(rows: rows, depth: depth, multiplier: multiplier, diffMin: diffMin)
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
        for row in 0..<rows {
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

final class QuantizedSoftmaxKernel<Element: FixedWidthInteger>: Kernel {
    let rows: Int, depth: Int
    let multiplier: QuantizedMultiplier
    let diffMin: Int32

    init(rows: Int, depth: Int, multiplier: QuantizedMultiplier, diffMin: Int32) {
        self.rows = rows
        self.depth = depth
        self.multiplier = multiplier
        self.diffMin = diffMin
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Element.self), output = args.output(0, as: Element.self)
        let accumulationIntegerBits = 12
        let outputBits = Element.bitWidth
        let outputMin = Int32(Element.min), outputMax = Int32(Element.max)
        for row in 0..<rows {
            let x = input + row * depth, y = output + row * depth
            var largest = Int32(Element.min)
            for c in 0..<depth { largest = max(largest, Int32(x[c])) }
            var sumOfExps: Int32 = 0
            for c in 0..<depth {
                let diff = Int32(x[c]) - largest
                if diff >= diffMin {
                    let rescaled = multiplyByQuantizedMultiplierGreaterThanOne(diff, multiplier.multiplier, multiplier.shift)
                    sumOfExps = sumOfExps &+ rescale(expOnNegativeValues(rescaled, integerBits: 5), from: 0, to: accumulationIntegerBits)
                }
            }
            let (shiftedScale, bitsOverUnit) = reciprocal(sumOfExps, integerBits: accumulationIntegerBits)
            for c in 0..<depth {
                let diff = Int32(x[c]) - largest
                if diff >= diffMin {
                    let rescaled = multiplyByQuantizedMultiplierGreaterThanOne(diff, multiplier.multiplier, multiplier.shift)
                    let exp = expOnNegativeValues(rescaled, integerBits: 5)
                    let unsaturated = roundingDivideByPOT(saturatingRoundingDoublingHighMul(shiftedScale, exp), bitsOverUnit + 31 - outputBits)
                    let shifted = unsaturated &+ outputMin
                    y[c] = Element(truncatingIfNeeded: max(min(shifted, outputMax), outputMin))
                } else {
                    y[c] = Element.min
                }
            }
        }
    }
}

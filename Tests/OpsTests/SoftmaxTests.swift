#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import Ops
import TFLiteCore

/// activations.cc `SoftmaxPrepare` (kReference) and reference/softmax.h's quantized `Softmax`,
/// transliterated; the gemmlowp functions come from Ops (FixedPointGemmlowpTests checks them).
struct ReferenceQuantizedSoftmax {
    let inputBetaMultiplier: Int32, inputBetaLeftShift: Int, diffMin: Int32

    init(beta: Float, inputScale: Float) {
        let kScaledDiffIntegerBits = 5
        // PreprocessSoftmaxScaling (double rounding build: max multiplier 2^31 − 1, no shift clamp).
        let inputBetaRealMultiplier = min(Double(beta) * Double(inputScale) * Double(1 << (31 - kScaledDiffIntegerBits)), Double((1 << 31) - 1))
        var exponent32: Int32 = 0
        let q = frexp(inputBetaRealMultiplier, &exponent32)
        var exponent = Int(exponent32)
        var qFixed = Int64((q * Double(Int64(1) << 31)).rounded(.toNearestOrAwayFromZero))
        if qFixed == Int64(1) << 31 { qFixed /= 2; exponent += 1 }
        inputBetaMultiplier = Int32(qFixed)
        inputBetaLeftShift = exponent
        // CalculateInputRadius(5, shift, 31).
        let maxInputRescaled = 1.0 * Double((1 << kScaledDiffIntegerBits) - 1) * Double(Int64(1) << (31 - kScaledDiffIntegerBits))
            / Double(Int64(1) << inputBetaLeftShift)
        diffMin = -Int32(maxInputRescaled.rounded(.down))
    }

    func row<Output: FixedWidthInteger>(_ input: [Int32], inputMin: Int32, as _: Output.Type) -> [Int32] {
        var maxInRow = inputMin
        for x in input { maxInRow = max(maxInRow, x) }
        var sumOfExps: Int32 = 0
        for x in input {
            let inputDiff = x - maxInRow
            if inputDiff >= diffMin {
                let rescaled = saturatingRoundingDoublingHighMul(inputDiff &* Int32(truncatingIfNeeded: Int64(1) << inputBetaLeftShift), inputBetaMultiplier)
                sumOfExps = sumOfExps &+ rescale(expOnNegativeValues(rescaled, integerBits: 5), from: 0, to: 12)
            }
        }
        let (shiftedScale, numBitsOverUnit) = reciprocal(sumOfExps, integerBits: 12)
        let exponent = numBitsOverUnit + 31 - Output.bitWidth
        return input.map { x in
            let inputDiff = x - maxInRow
            guard inputDiff >= diffMin else { return Int32(Output.min) }
            let rescaled = saturatingRoundingDoublingHighMul(inputDiff &* Int32(truncatingIfNeeded: Int64(1) << inputBetaLeftShift), inputBetaMultiplier)
            let expIn0 = expOnNegativeValues(rescaled, integerBits: 5)
            let unsatOutput = roundingDivideByPOT(saturatingRoundingDoublingHighMul(shiftedScale, expIn0), exponent)
            return max(min(unsatOutput + Int32(Output.min), Int32(Output.max)), Int32(Output.min))
        }
    }
}

@Suite struct SoftmaxTests {
    static func prepare(_ beta: Float) -> (inout PrepareContext) throws(OpError) -> any Kernel {
        { (context: inout PrepareContext) throws(OpError) -> any Kernel in try Softmax.prepare(SoftmaxOptions(beta: beta), &context) }
    }

    @Test(arguments: [(DataType.int8, DataType.int8), (.uint8, .uint8), (.int8, .int16), (.uint8, .int16)])
    func quantizedMatchesReference(types: (DataType, DataType)) throws {
        let (inputType, outputType) = types
        var rng = SeededGenerator(seed: UInt64(71 + inputType.rawValue + outputType.rawValue))
        for _ in 0..<60 {
            let depth = [1, 2, 5, 10, 64, 100, 1001].randomElement(using: &rng)!
            let rows = Int.random(in: 1...4, using: &rng)
            let beta = [1, 0.5, 2, 1.7, Float.random(in: 0.1...4, using: &rng)].randomElement(using: &rng)!
            let qi = Elementwise.randomQuantization(inputType, &rng, scales: 0.01...0.5)
            let qo = outputType == .int16 ? quantization(1.0 / 32768, 0) : quantization(1.0 / 256, outputType == .int8 ? -128 : 0)
            // Rows of bytes, some with many equal maxima and long runs below diff_min.
            let bytes = (0..<(rows * depth)).map { _ in Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : UInt8.random(in: 120...135, using: &rng) }
            let output = try Elementwise.runUnary(Self.prepare(beta), input: inputType, shape: [rows, depth], bytes: bytes,
                                                  quantization: qi, output: outputType, outputQuantization: qo)
            let reference = ReferenceQuantizedSoftmax(beta: beta, inputScale: qi.scales[0])
            let inputMin = inputType.quantizedRange!.min
            var expected: [Int32] = []
            for r in 0..<rows {
                let row = bytes[(r * depth)..<((r + 1) * depth)].map { Elementwise.value($0, inputType) }
                expected += outputType == .int16 ? reference.row(row, inputMin: inputMin, as: Int16.self)
                    : outputType == .int8 ? reference.row(row, inputMin: inputMin, as: Int8.self) : reference.row(row, inputMin: inputMin, as: UInt8.self)
            }
            let got: [Int32] = outputType == .int16 ? output.values(as: Int16.self).map(Int32.init)
                : output.map { Elementwise.value($0, outputType) }
            #expect(got == expected, "depth \(depth) beta \(beta) \(qi)")
        }
    }

    @Test func floatMatchesScalarReference() throws {
        var rng = SeededGenerator(seed: 75)
        for depth in [1, 3, 37, 1001] {
            let rows = 3, beta: Float = depth == 37 ? 0.5 : 1
            let x = (0..<(rows * depth)).map { _ in Float.random(in: -10...10, using: &rng) }
            let output = try Elementwise.runUnary(Self.prepare(beta), input: .float32, shape: [1, rows, depth], bytes: [UInt8](values: x),
                                                  quantization: nil, output: .float32, outputQuantization: nil).values(as: Float.self)
            for r in 0..<rows {
                let row = Array(x[(r * depth)..<((r + 1) * depth)])
                let largest = row.max()!
                let exps = row.map { expf(($0 - largest) * beta) }
                var sum: Float = 0
                for e in exps { sum += e }
                for c in 0..<depth { #expect(abs(output[r * depth + c] - exps[c] / sum) <= 1e-6) }
            }
        }
    }

    @Test func knownValuesFromLiteRT() throws {
        let x: [Int8] = [-128, -100, -60, -30, -10, -1, 0, 1, 10, 30, 60, 100, 127]
        let int8 = try Elementwise.runUnary(Self.prepare(1), input: .int8, shape: [1, 13], bytes: [UInt8](values: x), quantization: quantization(0.1, 0),
                                            output: .int8, outputQuantization: quantization(1.0 / 256, -128))
        #expect(int8.values(as: Int8.self) == [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -112, 112])
        let int16 = try Elementwise.runUnary(Self.prepare(1), input: .int8, shape: [1, 13], bytes: [UInt8](values: x), quantization: quantization(0.1, 0),
                                             output: .int16, outputQuantization: quantization(1.0 / 32768, 0))
        #expect(int16.values(as: Int16.self) == [-32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32767, -32764, -32693, -28646, 28566])
        let uint8 = try Elementwise.runUnary(Self.prepare(1), input: .uint8, shape: [1, 10], bytes: [0, 5, 60, 200, 201, 250, 255, 255, 17, 128],
                                             quantization: quantization(0.05, 0), output: .uint8, outputQuantization: quantization(1.0 / 256, 0))
        #expect(uint8 == [0, 0, 0, 6, 6, 68, 88, 88, 0, 0])
    }

    @Test func refusesWhatTFLiteRefuses() {
        func prepare(_ input: TensorDescription, _ output: TensorDescription, beta: Float = 1) throws(OpError) {
            var context = PrepareContext(inputs: [input], outputs: [output])
            _ = try Softmax.prepare(SoftmaxOptions(beta: beta), &context)
        }
        let int8 = TensorDescription(type: .int8, shape: [1, 10], quantization: quantization(0.1, 0))
        #expect(throws: OpError.self) { try prepare(int8, TensorDescription(type: .int8, shape: [1, 10], quantization: quantization(1.0 / 256, 0))) }
        #expect(throws: OpError.self) { try prepare(int8, TensorDescription(type: .int8, shape: [1, 10], quantization: quantization(1.0 / 200, -128))) }
        #expect(throws: OpError.self) { try prepare(int8, TensorDescription(type: .uint8, shape: [1, 10], quantization: quantization(1.0 / 256, 0))) }
        // β · input scale · 2^26 must exceed 1 (QuantizeMultiplierGreaterThanOne).
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int8, shape: [1, 10], quantization: quantization(1e-9, 0)),
                                                    TensorDescription(type: .int8, shape: [1, 10], quantization: quantization(1.0 / 256, -128))) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .float32, shape: []), TensorDescription(type: .float32, shape: [])) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int16, shape: [1, 4], quantization: quantization(0.1, 0)),
                                                    TensorDescription(type: .int16, shape: [1, 4], quantization: quantization(1.0 / 32768, 0))) }
    }
}

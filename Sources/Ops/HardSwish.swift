import TFLiteCore

/// HARD_SWISH: `x · relu6(x + 3) / 6`. FLOAT32; INT8 and UINT8 with TFLite's reference
/// fixed-point scheme (activations.cc `HardSwishPrepare`, reference/hard_swish.h), as a byte
/// table built by running that arithmetic on every input byte.
package enum HardSwish {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareSameTypeElementwise("HARD_SWISH", &context, types: [.float32, .int8, .uint8])
        if input.type == .float32 { return FloatUnaryKernel(.hardSwish, count: input.elementCount) }
        let parameters = try QuantizedParameters(input: input, output: output)
        return ByteTableKernel(inputSigned: input.type == .int8, count: input.elementCount, isa: context.kernelISA, compute: parameters.reference)
    }

    /// TFLite's `HardSwishParams`.
    package struct QuantizedParameters: Sendable {
        package var inputZeroPoint: Int16
        package var outputZeroPoint: Int16
        package var reluishMultiplierFixedpointInt16: Int16
        package var reluishMultiplierExponent: Int
        package var outputMultiplierFixedpointInt16: Int16
        package var outputMultiplierExponent: Int
        package var outputMin: Int16
        package var outputMax: Int16

        package init(input: TensorDescription, output: TensorDescription) throws(OpError) {
            let (inputScale, inputZeroPoint) = try input.perTensorQuantization("HARD_SWISH input")
            let (outputScale, outputZeroPoint) = try output.perTensorQuantization("HARD_SWISH output")
            guard let range = output.type.quantizedRange else { throw .unsupportedType("HARD_SWISH output \(output.type.schemaName)") }
            // HardSwishParams holds the zero points as int16.
            self.inputZeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
            self.outputZeroPoint = Int16(truncatingIfNeeded: outputZeroPoint)
            // All in float, as HardSwishPrepare; each multiplier through QuantizeMultiplier and
            // DownScaleInt32ToInt16Multiplier.
            let hiresInputScale: Float = (1.0 / 128.0) * inputScale
            let reluishScale: Float = 3.0 / 32768.0
            let outputQ = QuantizedMultiplier(Double(hiresInputScale / outputScale))
            guard outputQ.shift <= 0 else {
                throw .invalidQuantization("HARD_SWISH output scale \(outputScale) is too small for input scale \(inputScale)")
            }
            let reluishQ = QuantizedMultiplier(Double(hiresInputScale / reluishScale))
            outputMultiplierFixedpointInt16 = downScaleInt32ToInt16Multiplier(outputQ.multiplier)
            outputMultiplierExponent = outputQ.shift
            reluishMultiplierFixedpointInt16 = downScaleInt32ToInt16Multiplier(reluishQ.multiplier)
            reluishMultiplierExponent = reluishQ.shift
            outputMin = Int16(range.min)
            outputMax = Int16(range.max)
        }

        /// The reference quantized `HardSwish` for one input value, transliterated (int16
        /// intermediates truncate as the C++ assignments do).
        package func reference(_ x: Int32) -> Int32 {
            let inputValue = Int16(truncatingIfNeeded: x &- Int32(inputZeroPoint))
            let inputValueOnHiresInputScale = Int16(truncatingIfNeeded: Int32(inputValue) &* (1 << 7))
            let inputValueOnPreshiftOutputScale =
                saturatingRoundingDoublingHighMul16(inputValueOnHiresInputScale, outputMultiplierFixedpointInt16)
            var reluishValue = inputValueOnHiresInputScale
            if reluishMultiplierExponent > 0 {
                reluishValue = saturatingLeftShift16(reluishValue, reluishMultiplierExponent - 1)
            }
            reluishValue = saturatingRoundingDoublingHighMul16(reluishValue, reluishMultiplierFixedpointInt16)
            if reluishMultiplierExponent > 0 {
                reluishValue = saturatingLeftShift16(reluishValue, 1)
            }
            if reluishMultiplierExponent < 0 {
                reluishValue = roundingDivideByPOT16(reluishValue, -reluishMultiplierExponent)
            }
            reluishValue = Int16(truncatingIfNeeded: (Int32(reluishValue) + (1 << 15)) >> 1)
            let preshiftOutputValue = saturatingDoublingHighMul16(reluishValue, inputValueOnPreshiftOutputScale)
            var outputValue = roundingDivideByPOT16(preshiftOutputValue, -outputMultiplierExponent)
            outputValue = Int16(truncatingIfNeeded: Int32(outputValue) + Int32(outputZeroPoint))
            outputValue = min(outputValue, outputMax)
            outputValue = max(outputValue, outputMin)
            return Int32(outputValue)
        }
    }
}

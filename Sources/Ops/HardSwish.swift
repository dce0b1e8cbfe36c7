import TFLiteCore

/// HARD_SWISH: `x · relu6(x + 3) / 6`. FLOAT32; INT8 and UINT8 with TFLite's reference
/// fixed-point scheme (int16 "reluish" multiplier and output multiplier), as a byte table.
package enum HardSwish {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.float32, .int8, .uint8])
        guard output.type == input.type else { throw .unsupportedType("output must be \(input.type.schemaName)") }
        if input.type == .float32 { return FloatUnaryKernel(.hardSwish, count: input.elementCount) }
        let (inputScale, inputZeroPoint) = try input.perTensorQuantization("input")
        let (outputScale, outputZeroPoint) = try output.perTensorQuantization("output")
        guard let range = output.type.quantizedRange else { throw .unsupportedType("\(output.type.schemaName)") }
        // activations.cc HardSwishPrepare: all in float, then QuantizeMultiplier.
        let hiresInputScale: Float = (1.0 / 128.0) * inputScale
        let reluishScale: Float = 3.0 / 32768.0
        let outputQ = QuantizedMultiplier(Double(hiresInputScale / outputScale))
        let reluishQ = QuantizedMultiplier(Double(hiresInputScale / reluishScale))
        guard outputQ.shift <= 0 else { throw .invalidQuantization("HARD_SWISH output scale is too small for its input scale") }
        let outputMultiplier = downScaleInt32ToInt16Multiplier(outputQ.multiplier)
        let reluishMultiplier = downScaleInt32ToInt16Multiplier(reluishQ.multiplier)
        let reluishExponent = reluishQ.shift, outputExponent = outputQ.shift
        return ByteTableKernel(inputSigned: input.type == .int8, count: input.elementCount) { x in
            let inputValue = Int16(truncatingIfNeeded: x &- inputZeroPoint)
            let hires = inputValue &* (1 << 7)
            let preshiftOutput = saturatingRoundingDoublingHighMul16(hires, outputMultiplier)
            var reluish = hires
            if reluishExponent > 0 { reluish = saturatingLeftShift16(reluish, reluishExponent - 1) }
            reluish = saturatingRoundingDoublingHighMul16(reluish, reluishMultiplier)
            if reluishExponent > 0 { reluish = saturatingLeftShift16(reluish, 1) }
            if reluishExponent < 0 { reluish = roundingDivideByPOT16(reluish, -reluishExponent) }
            reluish = Int16(truncatingIfNeeded: (Int32(reluish) + (1 << 15)) >> 1)
            let preshift = saturatingDoublingHighMul16(reluish, preshiftOutput)
            var value = Int32(roundingDivideByPOT16(preshift, -outputExponent))
            value += outputZeroPoint
            return min(max(value, range.min), range.max)
        }
    }
}

import TFLiteCore

/// MEAN over the constant `axes` input (negative axes allowed, duplicates ignored), keeping
/// reduced dimensions as 1 when `keep_dims`. FLOAT32; INT8 and UINT8 as LiteRT's reference
/// kernel computes it (an integer sum requantized by one multiplier that folds in 1/count).
package enum Mean {
    package static func prepare(_ options: ReducerOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...2, outputs: 1)
        let input = try context.input(0), axesTensor = try context.input(1), output = try context.output(0)
        guard [.float32, .int8, .uint8].contains(input.type), output.type == input.type else {
            throw .unsupportedType("MEAN of \(input.type.schemaName) to \(output.type.schemaName) is not supported")
        }
        guard let rawAxes = axesTensor.constantIntegers() else { throw .notConstant("the axes of MEAN must be constant") }
        var axes: [Int] = []
        for axis in rawAxes {
            let resolved = axis < 0 ? axis + input.rank : axis
            guard resolved >= 0, resolved < input.rank else { throw .invalidOptions("axis \(axis) is out of range for rank \(input.rank)") }
            if !axes.contains(resolved) { axes.append(resolved) }
        }
        var shape: [Int] = []
        for (d, size) in input.shape.enumerated() {
            if axes.contains(d) { if options.keepDims { shape.append(1) } } else { shape.append(size) }
        }
        try context.setOutputShape(0, shape)
        let plan = ReductionPlan(shape: input.shape, axes: axes)
        if input.type == .float32 { return MeanKernel(plan: plan, mode: .float) }
        let (si, zi) = try input.perTensorQuantization("input")
        let (so, zo) = try output.perTensorQuantization("output")
        guard let range = input.type.quantizedRange else { throw .unsupportedType("\(input.type.schemaName)") }
        // LiteRT's reference QuantizedMeanOrSum: Σ(x − zp_in) times s_in/s_out with the
        // 1/count folded into the multiplier (shifted up by ⌊log2 count⌋ first, as LiteRT does),
        // plus zp_out, clamped to the type.
        let base = QuantizedMultiplier(Double(si) / Double(so))
        let n = Int64(plan.reducedCount)
        var shift = n > 0 ? 63 - UInt64(n).leadingZeroBitCount : 0
        shift = min(shift, 32)
        shift = min(shift, 31 + base.shift)
        let folded = n > 0 ? QuantizedMultiplier(multiplier: Int32(truncatingIfNeeded: (Int64(base.multiplier) << Int64(max(shift, 0))) / n),
                                                 shift: base.shift - shift) : base
        let mode = QuantizedMeanMode(multiplier: folded, inputZeroPoint: zi, outputZeroPoint: zo, count: Int32(clamping: n),
                                     min: range.min, max: range.max)
        if input.type == .int8 { return QuantizedMeanKernel<Int8>(plan: plan, mode: mode) }
        return QuantizedMeanKernel<UInt8>(plan: plan, mode: mode)
    }
}

/// Which input elements feed which output element: the input viewed as
/// [outer][reduced][inner] after moving reduced axes together is not always possible, so the
/// plan keeps, for every output element, the offset of its first input, and for the reduced
/// positions the offsets to add.
struct ReductionPlan {
    let outputBases: [Int]
    let reducedOffsets: [Int]
    var reducedCount: Int { reducedOffsets.count }

    init(shape: [Int], axes: [Int]) {
        let strides = rowMajorStrides(shape)
        func offsets(over dims: [Int]) -> [Int] {
            var result = [0]
            for d in dims {
                var next: [Int] = []
                next.reserveCapacity(result.count * shape[d])
                for base in result { for i in 0..<shape[d] { next.append(base + i * strides[d]) } }
                result = next
            }
            return result
        }
        let kept = (0..<shape.count).filter { !axes.contains($0) }
        outputBases = offsets(over: kept)
        reducedOffsets = offsets(over: axes.sorted())
    }
}

final class MeanKernel: Kernel {
    enum Mode { case float }
    let plan: ReductionPlan

    init(plan: ReductionPlan, mode: Mode) { self.plan = plan }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
        let count = Float(plan.reducedCount)
        plan.outputBases.withUnsafeBufferPointer { bases in
            plan.reducedOffsets.withUnsafeBufferPointer { offsets in
                for (o, base) in bases.enumerated() {
                    var sum: Float = 0
                    for offset in offsets { sum += input[base + offset] }
                    output[o] = sum / count
                }
            }
        }
    }
}

/// How a quantized mean turns a sum into an output value.
struct QuantizedMeanMode {
    let multiplier: QuantizedMultiplier
    let inputZeroPoint: Int32, outputZeroPoint: Int32, count: Int32, min: Int32, max: Int32
}

final class QuantizedMeanKernel<Element: FixedWidthInteger>: Kernel {
    let plan: ReductionPlan
    let mode: QuantizedMeanMode

    init(plan: ReductionPlan, mode: QuantizedMeanMode) {
        self.plan = plan
        self.mode = mode
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Element.self), output = args.output(0, as: Element.self)
        let count = plan.reducedCount
        plan.outputBases.withUnsafeBufferPointer { bases in
            plan.reducedOffsets.withUnsafeBufferPointer { offsets in
                for (o, base) in bases.enumerated() {
                    var sum: Int32 = 0
                    for offset in offsets { sum = sum &+ Int32(input[base + offset]) }
                    let m = mode
                    let value = Swift.min(Swift.max(m.multiplier.apply(sum &- m.inputZeroPoint &* m.count) &+ m.outputZeroPoint, m.min), m.max)
                    output[o] = Element(truncatingIfNeeded: value)
                }
            }
        }
    }
}

import TFLiteCore

/// MEAN over the constant `axes` input (negative axes allowed, duplicates ignored), keeping
/// reduced dimensions as 1 when `keep_dims`. FLOAT32; INT8 and UINT8 as TFLite's reference
/// kernels compute it: the 4-D mean over height and width with a requantizing multiplier,
/// otherwise an integer mean (equal quantization) or a float rescale.
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
        let count = Float(plan.reducedCount)
        let mode: QuantizedMeanMode
        if input.rank == 4 && Set(axes) == [1, 2] {
            // reference_ops::Mean (4-D, axes {1, 2}): all in float, as the reference.
            var temp = Float(zi) * si / so
            temp = temp > 0 ? temp + 0.5 : temp - 0.5
            let bias = zo - Int32(temp)
            let realScale = si / (count * so)
            mode = .heightWidth(QuantizedMultiplier(Double(realScale)), bias: bias, min: range.min, max: range.max)
        } else if si == so && zi == zo {
            mode = .integer(min: range.min, max: range.max)
        } else {
            let scale = si / so
            mode = .rescale(scale: scale, bias: -Float(zi) * scale, outputZeroPoint: Float(zo), min: Float(range.min), max: Float(range.max))
        }
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
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for d in (0..<shape.count).reversed() {
            strides[d] = step
            step *= shape[d]
        }
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
enum QuantizedMeanMode {
    case heightWidth(QuantizedMultiplier, bias: Int32, min: Int32, max: Int32)
    case integer(min: Int32, max: Int32)
    case rescale(scale: Float, bias: Float, outputZeroPoint: Float, min: Float, max: Float)
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
                    let value: Int32
                    switch mode {
                    case .heightWidth(let m, let bias, let lo, let hi):
                        value = min(max(m.apply(sum) &+ bias, lo), hi)
                    case .integer(let lo, let hi):
                        value = min(max(sum / Int32(count), lo), hi)
                    case .rescale(let scale, let bias, let zp, let lo, let hi):
                        let mean = Float(sum) / Float(count)
                        value = Int32(min(max((mean * scale + bias).rounded(.toNearestOrAwayFromZero) + zp, lo), hi))
                    }
                    output[o] = Element(truncatingIfNeeded: value)
                }
            }
        }
    }
}

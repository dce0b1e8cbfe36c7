import TFLiteCore

/// STRIDED_SLICE: `input[begin:end:stride, …]` per dimension, with constant begin, end and
/// strides (INT32 or INT64 vectors of one length) and the options' masks, as LiteRT's
/// strided_slice.cc and reference/strided_slice.h: begin/end masks take the whole range, negative
/// indices count from the end and are clamped, negative strides walk backwards, shrink-axis
/// entries take one index and drop the dimension, new-axis entries insert a dimension of 1, one
/// ellipsis entry stands for the dimensions no entry names, and `offset` makes `end` relative to
/// `begin`. Any fixed-size type, input rank ≤ 5.
///
/// Where LiteRT's behaviour is undefined this kernel refuses or takes the plain (NumPy) meaning: a
/// shrink index past the end (after LiteRT's clamping, which maps one before the start to 0),
/// more than one ellipsis or more indices than dimensions are errors; a shrunk dimension takes
/// its one element whatever the sign of its stride; an ellipsis that stands for no dimension is
/// dropped.
package enum StridedSlice {
    package static func prepare(_ options: StridedSliceOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 4...4, outputs: 1)
        let input = try context.input(0), output = try context.output(0)
        guard input.type == output.type else {
            throw .unsupportedType("input is \(input.type.schemaName) but output is \(output.type.schemaName)")
        }
        guard let size = input.type.byteSize else { throw .unsupportedType("\(input.type.schemaName) tensors cannot be sliced") }
        guard input.rank <= 5 else { throw .invalidShape("STRIDED_SLICE takes rank ≤ 5, got \(input.rank)") }
        var specs: [[Int]] = []
        for (i, name) in ["begin", "end", "strides"].enumerated() {
            let tensor = try context.input(i + 1)
            guard tensor.rank == 1 else { throw .invalidShape("\(name) must be a vector, got shape \(tensor.shape)") }
            guard let values = tensor.shape[0] == 0 ? [] : tensor.constantIntegers(), values.count >= tensor.shape[0] else {
                throw .notConstant("\(name) of STRIDED_SLICE must be a constant INT32 or INT64 tensor")
            }
            specs.append(Array(values.prefix(tensor.shape[0])))
        }
        let plan = try Plan(inputShape: input.shape, begin: specs[0], end: specs[1], strides: specs[2], options: options)
        try context.setOutputShape(0, plan.outputShape)
        return GatherCopyKernel(plan: ElementCopyPlan(counts: plan.counts, strides: plan.strides, start: plan.start, elementSize: size))
    }

    /// The slice as a gather: per effective dimension (input dimensions and new axes, in output
    /// order) the count and element stride, the start element, and the output shape (shrunk
    /// dimensions dropped).
    struct Plan: Equatable {
        var counts: [Int] = []
        var strides: [Int] = []
        var start = 0
        var outputShape: [Int] = []

        init(inputShape: [Int], begin beginValues: [Int], end endValues: [Int], strides stepValues: [Int],
                     options: StridedSliceOptions) throws(OpError) {
            var count = beginValues.count
            guard endValues.count == count, stepValues.count == count else {
                throw .invalidShape("begin, end and strides must have the same length, got \(beginValues.count), \(endValues.count), \(stepValues.count)")
            }
            guard count <= 31 else { throw .invalidShape("STRIDED_SLICE takes at most 31 indices, got \(count)") }
            // Indices far outside any dimension clamp alike; bounding them keeps the sums exact.
            let bound = 1 << 40
            var begin = beginValues.map { min(max($0, -bound), bound) }, end = endValues.map { min(max($0, -bound), bound) }
            var steps = stepValues
            // Bits past the given entries mean nothing; dropping them keeps the expansion sane.
            let entryBits = (1 << count) - 1
            var beginMask = Int(options.beginMask) & entryBits, endMask = Int(options.endMask) & entryBits
            var ellipsisMask = Int(options.ellipsisMask) & entryBits, newAxisMask = Int(options.newAxisMask) & entryBits
            var shrinkMask = Int(options.shrinkAxisMask) & entryBits
            func bit(_ mask: Int, _ i: Int) -> Bool { i >= 0 && i < 62 && mask & (1 << i) != 0 }

            let inputRank = inputShape.count
            var addedAxes = 0
            for i in 0..<count where !bit(ellipsisMask, i) && bit(newAxisMask, i) { addedAxes += 1 }
            guard ellipsisMask.nonzeroBitCount <= 1 else {
                throw .invalidOptions("STRIDED_SLICE takes one ellipsis at most, the mask is \(options.ellipsisMask)")
            }
            let consumed = count - addedAxes - ellipsisMask.nonzeroBitCount
            guard consumed <= inputRank else {
                throw .invalidShape("STRIDED_SLICE indexes \(consumed) dimensions of a rank-\(inputRank) input")
            }
            if ellipsisMask != 0, consumed == inputRank {
                // An ellipsis that stands for no dimension: drop its entry (LiteRT would widen it
                // to one dimension and shift the entries after it).
                let e = ellipsisMask.trailingZeroBitCount
                func drop(_ mask: Int) -> Int { (mask & ((1 << e) - 1)) | ((mask >> (e + 1)) << e) }
                (beginMask, endMask, newAxisMask, shrinkMask) = (drop(beginMask), drop(endMask), drop(newAxisMask), drop(shrinkMask))
                ellipsisMask = 0
                begin.remove(at: e)
                end.remove(at: e)
                steps.remove(at: e)
                count -= 1
            }

            // BuildStridedSliceParams: expand the ellipsis and the new axes into effective
            // dimensions, each naming an entry of the spec, a new axis or a whole input dimension.
            let effectiveRank = inputRank + addedAxes
            var effectiveEllipsis = [Bool](repeating: false, count: effectiveRank)
            var effectiveNewAxis = [Bool](repeating: false, count: effectiveRank)
            var ellipsisStart = effectiveRank, expandedEllipsis = 0
            var i = 0
            while i < effectiveRank {
                if bit(ellipsisMask, i) {
                    ellipsisStart = i
                    let ellipsisEnd = max(i + 1, min(i + 1 + addedAxes + inputRank - count, effectiveRank))
                    expandedEllipsis = ellipsisEnd - ellipsisStart - 1
                    while i < ellipsisEnd {
                        effectiveEllipsis[i] = true
                        i += 1
                    }
                    continue
                }
                if bit(newAxisMask, i - expandedEllipsis) { effectiveNewAxis[i] = true }
                i += 1
            }

            let inputStrides = rowMajorStrides(inputShape)
            var addedEllipsis = 0, newAxesSoFar = 0
            for i in 0..<effectiveRank {
                var dimSize = 1, inputStride = 0
                var first = 0, stride = 1, last = 1, shrink = false
                if effectiveEllipsis[i] {
                    addedEllipsis = max(0, i - ellipsisStart)
                    dimSize = inputShape[i - newAxesSoFar]
                    inputStride = inputStrides[i - newAxesSoFar]
                    (first, last) = (0, dimSize)
                } else if effectiveNewAxis[i] {
                    newAxesSoFar += 1
                } else if i >= count + expandedEllipsis {
                    dimSize = inputShape[i - newAxesSoFar]
                    inputStride = inputStrides[i - newAxesSoFar]
                    (first, last) = (0, dimSize)
                } else {
                    let entry = i - addedEllipsis
                    dimSize = inputShape[i - newAxesSoFar]
                    inputStride = inputStrides[i - newAxesSoFar]
                    stride = steps[entry]
                    guard stride != 0 else { throw .invalidOptions("stride \(entry) of STRIDED_SLICE is 0") }
                    guard stride > Int(Int32.min), stride <= Int(Int32.max) else {
                        throw .invalidOptions("stride \(stride) of STRIDED_SLICE is out of range")
                    }
                    shrink = bit(shrinkMask, entry)
                    first = Self.startForAxis(begin[entry], size: dimSize, stride: stride, masked: bit(beginMask, entry))
                    if shrink {
                        guard first >= 0, first < dimSize else {
                            throw .invalidShape("shrink index \(begin[entry]) is out of range for dimension \(i - newAxesSoFar) of size \(dimSize)")
                        }
                        (last, stride) = (first + 1, 1)
                    } else {
                        last = Self.endForAxis(end[entry], start: first, size: dimSize, stride: stride,
                                               masked: bit(endMask, entry), offset: options.offset)
                    }
                }
                // The number of indices first, first + stride, … before last.
                let span = last - first
                let n: Int
                if span == 0 || (span < 0) != (stride < 0) {
                    n = 0
                } else {
                    n = stride < 0 ? (span + 1) / stride + 1 : (span - 1) / stride + 1
                }
                counts.append(n)
                // A stride matters only when it is taken; then |stride| < dimSize.
                strides.append(n > 1 ? inputStride * stride : 0)
                if n > 0 { start += first * inputStride }
                if !shrink { outputShape.append(n) }
            }
            if counts.contains(0) { start = 0 }
        }

        /// StartForAxis: the first index along an axis, within −1…size.
        static func startForAxis(_ begin: Int, size: Int, stride: Int, masked: Bool) -> Int {
            if masked { return stride > 0 ? 0 : size - 1 }
            let start = begin < 0 ? begin + size : begin
            return stride > 0 ? min(max(start, 0), size) : min(max(start, -1), size - 1)
        }

        /// EndForAxis: one past the last index along an axis (one before, walking backwards).
        static func endForAxis(_ endValue: Int, start: Int, size: Int, stride: Int, masked: Bool, offset: Bool) -> Int {
            if masked { return stride > 0 ? size : -1 }
            var end = offset ? endValue + start : endValue
            if end < 0 { end += size }
            return stride > 0 ? min(max(end, 0), size) : min(max(end, -1), size - 1)
        }
    }
}

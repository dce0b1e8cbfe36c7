import TFLiteCore

/// STRIDED_SLICE with constant begin, end and strides, and the begin/end/ellipsis/new-axis/
/// shrink-axis masks (TFLite's strided_slice_logic). Any fixed-size type, rank ≤ 5.
package enum StridedSlice {
    package static func prepare(_ options: StridedSliceOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 4...4, outputs: 1)
        let input = try context.input(0), output = try context.output(0)
        guard input.type == output.type, let size = input.type.byteSize else { throw .unsupportedType("input and output types must agree") }
        guard let begin = try context.input(1).constantIntegers(), let end = try context.input(2).constantIntegers(),
              let strides = try context.input(3).constantIntegers() else {
            throw .notConstant("begin, end and strides of STRIDED_SLICE must be constant")
        }
        guard begin.count == end.count, end.count == strides.count, begin.count <= input.rank, input.rank <= 5 else {
            throw .invalidShape("begin, end and strides must have one entry per dimension (rank \(input.rank))")
        }
        guard options.ellipsisMask == 0, options.newAxisMask == 0 else {
            throw .invalidOptions("STRIDED_SLICE ellipsis and new-axis masks are not supported")
        }
        let inputStrides = rowMajorStrides(input.shape)
        var counts: [Int] = [], elementStrides: [Int] = [], outputShape: [Int] = []
        var start = 0
        for d in 0..<input.rank {
            let size = input.shape[d]
            let hasSpec = d < begin.count
            let stride = hasSpec ? strides[d] : 1
            guard stride != 0 else { throw .invalidOptions("stride of dimension \(d) is 0") }
            let shrink = hasSpec && options.shrinkAxisMask & (1 << d) != 0
            var first: Int, last: Int
            if shrink {
                first = begin[d] < 0 ? begin[d] + size : begin[d]
                guard first >= 0, first < size else { throw .invalidShape("index \(begin[d]) is out of range for dimension \(d) of size \(size)") }
                last = first + 1
                counts.append(1)
                elementStrides.append(inputStrides[d])
                start += first * inputStrides[d]
                continue
            }
            // StartForAxis / StopForAxis: masks, negative indices, clamping.
            if !hasSpec || options.beginMask & (1 << d) != 0 {
                first = stride > 0 ? 0 : size - 1
            } else {
                first = begin[d] < 0 ? begin[d] + size : begin[d]
                first = stride > 0 ? min(max(first, 0), size) : min(max(first, -1), size - 1)
            }
            if !hasSpec || options.endMask & (1 << d) != 0 {
                last = stride > 0 ? size : -1
            } else {
                var e = options.offset ? begin[d] + end[d] : end[d]
                if !options.offset { e = e < 0 ? e + size : e } else { e = e < 0 ? e + size : e }
                last = stride > 0 ? min(max(e, 0), size) : min(max(e, -1), size - 1)
            }
            let count = stride > 0 ? max(0, (last - first + stride - 1) / stride) : max(0, (first - last - stride - 1) / -stride)
            counts.append(count)
            elementStrides.append(inputStrides[d] * stride)
            if count > 0 { start += first * inputStrides[d] }
            outputShape.append(count)
        }
        try context.setOutputShape(0, outputShape)
        return GatherCopyKernel(plan: ElementCopyPlan(counts: counts, strides: elementStrides, start: start, elementSize: size))
    }
}

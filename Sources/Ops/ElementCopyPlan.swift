/// A gather of elements by index arithmetic planned at prepare: the output, in order, reads
/// input element `start + Σ index[d] · stride[d]` over a box of `counts` (strides may be
/// negative). Used by TRANSPOSE and STRIDED_SLICE; eval copies `elementSize`-byte elements.
struct ElementCopyPlan {
    let counts: [Int]
    let strides: [Int]
    let start: Int
    let elementSize: Int

    var total: Int { counts.reduce(1, *) }

    func run(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        switch elementSize {
        case 1: copy(input.assumingMemoryBound(to: UInt8.self), output.assumingMemoryBound(to: UInt8.self))
        case 2: copy(input.assumingMemoryBound(to: UInt16.self), output.assumingMemoryBound(to: UInt16.self))
        case 4: copy(input.assumingMemoryBound(to: UInt32.self), output.assumingMemoryBound(to: UInt32.self))
        default: copy(input.assumingMemoryBound(to: UInt64.self), output.assumingMemoryBound(to: UInt64.self))
        }
    }

    @inline(__always)
    private func copy<T>(_ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>) {
        let rank = counts.count
        guard total > 0 else { return }
        if rank == 0 { output[0] = input[start]; return }
        var index = [Int](repeating: 0, count: rank)
        var offset = start
        var o = 0
        let innerCount = counts[rank - 1], innerStride = strides[rank - 1]
        while true {
            var p = offset
            for _ in 0..<innerCount {
                output[o] = input[p]
                o += 1
                p += innerStride
            }
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                offset += strides[d]
                if index[d] < counts[d] { break }
                offset -= strides[d] * counts[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}

/// Copies a plan's gather from input 0 to output 0.
final class GatherCopyKernel: Kernel {
    let plan: ElementCopyPlan

    init(plan: ElementCopyPlan) { self.plan = plan }

    func eval(_ args: KernelArguments) {
        guard let input = args.inputs[0] else { return }
        plan.run(input, args.outputs[0])
    }
}

/// Element strides of a row-major (C order) tensor of `shape`: the last dimension is contiguous.
package func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var step = 1
    for d in (0..<shape.count).reversed() {
        strides[d] = step
        step *= shape[d]
    }
    return strides
}

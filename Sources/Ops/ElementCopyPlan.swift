/// A gather planned at prepare time: the output, written contiguously in row-major order over a
/// box of `counts`, reads input element `start + Σ index[d] · strides[d]` (strides in elements,
/// possibly negative or zero). TRANSPOSE and STRIDED_SLICE are such gathers.
///
/// Prepare simplifies the box (drops size-1 dimensions, merges dimensions that are contiguous in
/// the input) and picks the innermost copy:
/// - `run`: the innermost dimension is contiguous in the input — one byte copy per row;
/// - `tile`: some other dimension is contiguous in the input (a transpose of the two, such as
///   NCHW → NHWC) — a blocked 2-D transpose so that reads and writes stay within cache lines;
/// - `strided`: an element loop with a constant input step.
/// Eval iterates the remaining outer dimensions with an odometer, in parallel for large copies.
struct ElementCopyPlan {
    enum Inner: Equatable {
        /// Copy `bytes` contiguous bytes per outer position.
        case run(bytes: Int)
        /// `count` elements, input step `stride`, output step 1.
        case strided(count: Int, stride: Int)
        /// A `bCount` × `aCount` block: out[b·bOutStride + a] = in[a·aStride + b].
        case tile(aCount: Int, aStride: Int, bCount: Int, bOutStride: Int)
    }

    let elementSize: Int
    /// Total output elements.
    let total: Int
    let start: Int
    let outerCounts: [Int]
    let outerInStrides: [Int]
    let outerOutStrides: [Int]
    let inner: Inner
    /// Side of a transpose tile, in elements.
    let tileSize: Int

    /// `counts` and `strides` in output order; `start` and `strides` in elements.
    init(counts: [Int], strides: [Int], start: Int, elementSize: Int) {
        self.elementSize = elementSize
        self.start = start
        total = counts.reduce(1, *)
        tileSize = max(8, min(64, 64 / max(elementSize, 1)))
        // Drop size-1 dimensions; merge a dimension into the one above when they are
        // contiguous in the input (the output is contiguous throughout).
        var c: [Int] = [], s: [Int] = []
        if total > 0 {
            for (count, stride) in zip(counts, strides) where count != 1 {
                if let last = c.last, let lastStride = s.last, lastStride == stride &* count {
                    c[c.count - 1] = last * count
                    s[s.count - 1] = stride
                } else {
                    c.append(count)
                    s.append(stride)
                }
            }
        }
        if c.isEmpty {
            c = [total > 0 ? 1 : 0]
            s = [1]
        }
        var outStrides = [Int](repeating: 1, count: c.count)
        for d in stride(from: c.count - 2, through: 0, by: -1) { outStrides[d] = outStrides[d + 1] * c[d + 1] }
        let last = c.count - 1
        if s[last] == 1 {
            inner = .run(bytes: c[last] * elementSize)
            outerCounts = Array(c[..<last])
            outerInStrides = Array(s[..<last])
            outerOutStrides = Array(outStrides[..<last])
        } else if let b = s[..<last].lastIndex(of: 1), c[b] >= 4, c[last] >= 4 {
            inner = .tile(aCount: c[last], aStride: s[last], bCount: c[b], bOutStride: outStrides[b])
            let keep = (0..<last).filter { $0 != b }
            outerCounts = keep.map { c[$0] }
            outerInStrides = keep.map { s[$0] }
            outerOutStrides = keep.map { outStrides[$0] }
        } else {
            inner = .strided(count: c[last], stride: s[last])
            outerCounts = Array(c[..<last])
            outerInStrides = Array(s[..<last])
            outerOutStrides = Array(outStrides[..<last])
        }
    }

    /// Independent work items: outer positions, times the tile strips of a transpose.
    private var strips: Int {
        if case .tile(_, _, let bCount, _) = inner { return (bCount + tileSize - 1) / tileSize }
        return 1
    }

    /// Copies the whole gather, on `runner`'s threads when it is large.
    func run(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, runner: ParallelRunner) {
        guard total > 0 else { return }
        let items = outerCounts.reduce(1, *) * strips
        if runner.threadCount > 1, total * elementSize >= 1 << 19, items >= 2 {
            runner.forEachRange(count: items, context: (self, input, output)) { c, range in c.0.run(c.1, c.2, items: range) }
        } else {
            run(input, output, items: 0..<items)
        }
    }

    /// Copies the work items `items`.
    func run(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, items: Range<Int>) {
        switch elementSize {
        case 1: copy(input.assumingMemoryBound(to: UInt8.self), output.assumingMemoryBound(to: UInt8.self), items)
        case 2: copy(input.assumingMemoryBound(to: UInt16.self), output.assumingMemoryBound(to: UInt16.self), items)
        case 4: copy(input.assumingMemoryBound(to: UInt32.self), output.assumingMemoryBound(to: UInt32.self), items)
        case 8: copy(input.assumingMemoryBound(to: UInt64.self), output.assumingMemoryBound(to: UInt64.self), items)
        default: copy(input.assumingMemoryBound(to: SIMD2<UInt64>.self), output.assumingMemoryBound(to: SIMD2<UInt64>.self), items)
        }
    }

    @inline(__always)
    private func copy<T>(_ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>, _ items: Range<Int>) {
        guard !items.isEmpty else { return }
        let rank = outerCounts.count
        let strips = self.strips
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(rank, 1)) { index in
            // Position the odometer at the first item's outer position.
            var outer = items.lowerBound / strips
            var strip = items.lowerBound % strips
            var p = start, q = 0
            for d in stride(from: rank - 1, through: 0, by: -1) {
                index[d] = outer % outerCounts[d]
                outer /= outerCounts[d]
                p &+= index[d] &* outerInStrides[d]
                q &+= index[d] &* outerOutStrides[d]
            }
            var remaining = items.count
            while remaining > 0 {
                switch inner {
                case .run(let bytes):
                    UnsafeMutableRawPointer(output + q).copyMemory(from: UnsafeRawPointer(input + p), byteCount: bytes)
                    remaining -= 1
                case .strided(let count, let stride):
                    var src = input + p
                    let dst = output + q
                    for i in 0..<count {
                        dst[i] = src.pointee
                        src += stride
                    }
                    remaining -= 1
                case .tile(let aCount, let aStride, let bCount, let bOutStride):
                    let t = tileSize
                    while strip < strips && remaining > 0 {
                        let b0 = strip * t, b1 = min(b0 + t, bCount)
                        var a0 = 0
                        while a0 < aCount {
                            let a1 = min(a0 + t, aCount)
                            for b in b0..<b1 {
                                let dst = output + (q &+ b &* bOutStride)
                                var src = input + (p &+ a0 &* aStride &+ b)
                                for a in a0..<a1 {
                                    dst[a] = src.pointee
                                    src += aStride
                                }
                            }
                            a0 = a1
                        }
                        strip += 1
                        remaining -= 1
                    }
                    if strip < strips { return }
                    strip = 0
                }
                if remaining == 0 { return }
                // Advance the odometer.
                var d = rank - 1
                while d >= 0 {
                    index[d] += 1
                    p &+= outerInStrides[d]
                    q &+= outerOutStrides[d]
                    if index[d] < outerCounts[d] { break }
                    p &-= outerInStrides[d] &* outerCounts[d]
                    q &-= outerOutStrides[d] &* outerCounts[d]
                    index[d] = 0
                    d -= 1
                }
                if d < 0 { return }
            }
        }
    }
}

/// Copies a plan's gather from input 0 to output 0.
final class GatherCopyKernel: Kernel {
    let plan: ElementCopyPlan

    init(plan: ElementCopyPlan) { self.plan = plan }

    func eval(_ args: KernelArguments) {
        plan.run(args.inputs[0].unsafelyUnwrapped, args.outputs[0], runner: args.runner)
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

/// Owned, 64-byte aligned, fixed-size storage for data a kernel computes at prepare time
/// (packed weights, folded biases, per-channel multipliers).
package final class AlignedBuffer<Element> {
    package let pointer: UnsafeMutablePointer<Element>
    package let count: Int

    /// `count` elements, each set to `value`.
    package init(count: Int, repeating value: Element) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Element>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    package convenience init(_ values: [Element]) {
        guard let first = values.first else {
            fatalError("AlignedBuffer(_:) needs at least one element")  // internal use only: callers pass non-empty arrays
        }
        self.init(count: values.count, repeating: first)
        for (i, v) in values.enumerated() { pointer[i] = v }
    }

    deinit {
        pointer.deinitialize(count: max(count, 1))
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}

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

    /// A copy of `values` (an empty array gives an empty buffer).
    package convenience init(_ values: [Element]) where Element: Numeric {
        self.init(count: values.count, repeating: .zero)
        for (i, v) in values.enumerated() { pointer[i] = v }
    }

    deinit {
        pointer.deinitialize(count: max(count, 1))
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}

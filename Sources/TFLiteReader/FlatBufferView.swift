// A zero-copy, bounds-checked reader of flatbuffer tables, vectors and strings.
//
// The verifier has already walked the buffer, but this layer does not rely on it: every load
// checks its range and every failure is a `ModelError.corrupt`, so a bug in either layer can
// only produce an error, never an out-of-bounds read.

/// A view of flatbuffer bytes. The bytes must outlive the view (the `Model` keeps them alive).
package struct FlatBufferView {
    package let bytes: UnsafeRawBufferPointer

    package init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    package var count: Int { bytes.count }

    /// Loads a little-endian scalar at `offset`, checking that it lies inside the buffer.
    package func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) throws(ModelError) -> T {
        guard offset >= 0, offset <= bytes.count - MemoryLayout<T>.size else {
            throw .corrupt("read of \(MemoryLayout<T>.size) bytes at offset \(offset) is outside the \(bytes.count)-byte file")
        }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    package func loadFloat(at offset: Int) throws(ModelError) -> Float {
        Float(bitPattern: try load(UInt32.self, at: offset))
    }

    /// Follows a `uoffset_t` stored at `offset` to the position it points at.
    package func follow(at offset: Int) throws(ModelError) -> Int {
        let relative = try load(UInt32.self, at: offset)
        let (target, overflow) = offset.addingReportingOverflow(Int(relative))
        guard !overflow, target < bytes.count else {
            throw .corrupt("offset at \(offset) points outside the file")
        }
        return target
    }

    /// The root table.
    package func root() throws(ModelError) -> FlatTable {
        try FlatTable(view: self, position: follow(at: 0))
    }
}

/// A table: a position in the buffer and its vtable.
package struct FlatTable {
    package let view: FlatBufferView
    package let position: Int
    private let vtable: Int
    private let vtableSize: Int

    package init(view: FlatBufferView, position: Int) throws(ModelError) {
        self.view = view
        self.position = position
        let relative = Int(try view.load(Int32.self, at: position))
        let (vt, overflow) = position.subtractingReportingOverflow(relative)
        guard !overflow, vt >= 0, vt < view.count else { throw .corrupt("table at \(position) has a vtable outside the file") }
        self.vtable = vt
        let size = Int(try view.load(UInt16.self, at: vt))
        guard size >= 4, size % 2 == 0, vt + size <= view.count else {
            throw .corrupt("table at \(position) has a malformed vtable")
        }
        self.vtableSize = size
    }

    /// The absolute position of field `id`, or nil when the field is absent.
    package func fieldPosition(_ id: Int) throws(ModelError) -> Int? {
        let slot = 4 + 2 * id
        guard slot + 2 <= vtableSize else { return nil }
        let relative = Int(try view.load(UInt16.self, at: vtable + slot))
        return relative == 0 ? nil : position + relative
    }

    package func scalar<T: FixedWidthInteger>(_ id: Int, default value: T) throws(ModelError) -> T {
        guard let at = try fieldPosition(id) else { return value }
        return try view.load(T.self, at: at)
    }

    package func float(_ id: Int, default value: Float) throws(ModelError) -> Float {
        guard let at = try fieldPosition(id) else { return value }
        return try view.loadFloat(at: at)
    }

    package func bool(_ id: Int, default value: Bool) throws(ModelError) -> Bool {
        guard let at = try fieldPosition(id) else { return value }
        return try view.load(UInt8.self, at: at) != 0
    }

    package func table(_ id: Int) throws(ModelError) -> FlatTable? {
        guard let at = try fieldPosition(id) else { return nil }
        return try FlatTable(view: view, position: view.follow(at: at))
    }

    package func vector(_ id: Int, elementSize: Int) throws(ModelError) -> FlatVector? {
        guard let at = try fieldPosition(id) else { return nil }
        return try FlatVector(view: view, position: view.follow(at: at), elementSize: elementSize)
    }

    package func string(_ id: Int) throws(ModelError) -> String? {
        guard let vector = try vector(id, elementSize: 1) else { return nil }
        return String(decoding: vector.rawBytes, as: UTF8.self)
    }

    /// A vector of 32-bit integers, widened to `Int`.
    package func int32s(_ id: Int) throws(ModelError) -> [Int]? {
        guard let vector = try vector(id, elementSize: 4) else { return nil }
        var values: [Int] = []
        values.reserveCapacity(vector.count)
        for i in 0..<vector.count { values.append(Int(try vector.scalar(Int32.self, at: i))) }
        return values
    }

    /// A vector of tables.
    package func tables(_ id: Int) throws(ModelError) -> [FlatTable] {
        guard let vector = try vector(id, elementSize: 4) else { return [] }
        var tables: [FlatTable] = []
        tables.reserveCapacity(vector.count)
        for i in 0..<vector.count { tables.append(try vector.table(at: i)) }
        return tables
    }
}

/// A vector: a length-prefixed run of fixed-size elements.
package struct FlatVector {
    package let view: FlatBufferView
    /// Position of the first element.
    package let start: Int
    package let count: Int
    package let elementSize: Int

    package init(view: FlatBufferView, position: Int, elementSize: Int) throws(ModelError) {
        self.view = view
        let length = Int(try view.load(UInt32.self, at: position))
        let start = position + 4
        let (bytes, overflow) = length.multipliedReportingOverflow(by: elementSize)
        guard !overflow, start <= view.count, bytes <= view.count - start else {
            throw .corrupt("vector at \(position) of \(length) elements runs past the end of the file")
        }
        self.start = start
        self.count = length
        self.elementSize = elementSize
    }

    /// The byte range of the elements within the buffer.
    package var byteRange: Range<Int> { start..<(start + count * elementSize) }

    package var rawBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: view.bytes[byteRange]) }

    package func scalar<T: FixedWidthInteger>(_: T.Type, at index: Int) throws(ModelError) -> T {
        guard index >= 0, index < count else { throw .corrupt("vector index \(index) out of \(count)") }
        return try view.load(T.self, at: start + index * elementSize)
    }

    package func float(at index: Int) throws(ModelError) -> Float {
        Float(bitPattern: try scalar(UInt32.self, at: index))
    }

    package func table(at index: Int) throws(ModelError) -> FlatTable {
        guard index >= 0, index < count else { throw .corrupt("vector index \(index) out of \(count)") }
        return try FlatTable(view: view, position: view.follow(at: start + index * 4))
    }
}

import Foundation

/// Builds small TFLite flatbuffers in tests, including malformed ones no converter would make.
///
/// A forward builder: each table is written before its children, so every `uoffset` points
/// forward as flatbuffers requires; vtables sit just before their tables.
struct TestModelBuilder {
    enum Field {
        case i8(Int8), u8(UInt8), i32(Int32), u32(UInt32), i64(Int64), u64(UInt64), f32(Float), bool(Bool)
        case table([(Int, Field)])
        case tables([[(Int, Field)]])
        case int32s([Int32]), int64s([Int64]), floats([Float]), bytes([UInt8])
        case string(String)

        var inlineSize: Int {
            switch self {
            case .i8, .u8, .bool: 1
            case .i32, .u32, .f32: 4
            case .i64, .u64: 8
            default: 4
            }
        }
    }

    private(set) var bytes: [UInt8] = []

    /// A model file: root offset, "TFL3", then the Model table.
    static func model(_ fields: [(Int, Field)]) -> Data {
        var builder = TestModelBuilder()
        builder.bytes = [0, 0, 0, 0] + Array("TFL3".utf8)
        let root = builder.writeTable(fields)
        builder.patch(at: 0, UInt32(root))
        return Data(builder.bytes)
    }

    private mutating func align(_ n: Int) {
        while bytes.count % n != 0 { bytes.append(0) }
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func patch(at position: Int, _ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[position + i] = raw[i] }
        }
    }

    /// Writes a table and its children; returns the table's position.
    private mutating func writeTable(_ fields: [(Int, Field)]) -> Int {
        let sorted = fields.sorted { $0.1.inlineSize > $1.1.inlineSize }
        // Layout of the table body: soffset, then fields largest first (keeps alignment).
        var layout: [(id: Int, offset: Int, field: Field)] = []
        var size = 4
        for (id, field) in sorted {
            let s = field.inlineSize
            size = (size + s - 1) / s * s
            layout.append((id, size, field))
            size += s
        }
        let maxId = fields.map(\.0).max() ?? -1
        var vtable = [UInt16](repeating: 0, count: 2 + maxId + 1)
        vtable[0] = UInt16(vtable.count * 2)
        vtable[1] = UInt16(size)
        for entry in layout { vtable[2 + entry.id] = UInt16(entry.offset) }
        align(2)
        let vtablePosition = bytes.count
        for v in vtable { append(v) }
        align(8)
        let table = bytes.count
        append(Int32(table - vtablePosition))
        bytes.append(contentsOf: [UInt8](repeating: 0, count: size - 4))
        var children: [(position: Int, field: Field)] = []
        for entry in layout {
            let at = table + entry.offset
            func put<T: FixedWidthInteger>(_ v: T) {
                withUnsafeBytes(of: v.littleEndian) { raw in for i in 0..<raw.count { bytes[at + i] = raw[i] } }
            }
            switch entry.field {
            case .i8(let v): put(v)
            case .u8(let v): put(v)
            case .bool(let v): put(UInt8(v ? 1 : 0))
            case .i32(let v): put(v)
            case .u32(let v): put(v)
            case .f32(let v): put(v.bitPattern)
            case .i64(let v): put(v)
            case .u64(let v): put(v)
            default: children.append((at, entry.field))
            }
        }
        for child in children {
            let target = writeChild(child.field)
            patch(at: child.position, UInt32(target - child.position))
        }
        return table
    }

    private mutating func writeVector<T: FixedWidthInteger>(_ values: [T], alignment: Int = 4) -> Int {
        // The elements (after the 4-byte length) must be aligned to their size and `alignment`.
        let a = max(alignment, MemoryLayout<T>.size, 4)
        while (bytes.count + 4) % a != 0 { bytes.append(0) }
        let position = bytes.count
        append(UInt32(values.count))
        for v in values { append(v) }
        return position
    }

    private mutating func writeChild(_ field: Field) -> Int {
        switch field {
        case .table(let fields): return writeTable(fields)
        case .int32s(let v): return writeVector(v)
        case .int64s(let v): return writeVector(v)
        case .floats(let v): return writeVector(v.map(\.bitPattern))
        case .bytes(let v): return writeVector(v, alignment: 16)
        case .string(let s):
            let position = writeVector(Array(s.utf8))
            bytes.append(0)
            return position
        case .tables(let tables):
            align(4)
            let position = bytes.count
            append(UInt32(tables.count))
            let slots = bytes.count
            bytes.append(contentsOf: [UInt8](repeating: 0, count: 4 * tables.count))
            for (i, t) in tables.enumerated() {
                let table = writeTable(t)
                patch(at: slots + 4 * i, UInt32(table - (slots + 4 * i)))
            }
            return position
        default: return 0
        }
    }
}

/// Describes a one-subgraph model in terms of the schema, for `TestModelBuilder`.
struct TestModel {
    struct TensorSpec {
        var shape: [Int32]
        var type: Int8 = 0                      // FLOAT32
        var buffer: UInt32 = 0
        var name = "t"
        var scales: [Float]? = nil
        var zeroPoints: [Int64]? = nil
        var quantizedDimension: Int32 = 0
        var shapeSignature: [Int32]? = nil
    }
    struct OperatorSpec {
        var opcode: UInt32
        var inputs: [Int32]
        var outputs: [Int32]
        var optionsType: UInt8 = 0
        var options: [(Int, TestModelBuilder.Field)]? = nil
    }

    var builtinCodes: [Int32]
    var tensors: [TensorSpec]
    var operators: [OperatorSpec]
    var inputs: [Int32]
    var outputs: [Int32]
    var buffers: [[UInt8]] = [[]]

    var data: Data {
        typealias F = TestModelBuilder.Field
        let codes: [[(Int, F)]] = builtinCodes.map { code in
            [(0, .i8(Int8(clamping: min(code, 127)))), (3, .i32(code)), (2, .i32(1))]
        }
        let tensorTables: [[(Int, F)]] = tensors.map { t in
            var fields: [(Int, F)] = [(0, .int32s(t.shape)), (1, .i8(t.type)), (2, .u32(t.buffer)), (3, .string(t.name))]
            if let scales = t.scales {
                fields.append((4, .table([(2, .floats(scales)), (3, .int64s(t.zeroPoints ?? [])), (6, .i32(t.quantizedDimension))])))
            }
            if let signature = t.shapeSignature { fields.append((7, .int32s(signature))) }
            return fields
        }
        let operatorTables: [[(Int, F)]] = operators.map { op in
            var fields: [(Int, F)] = [(0, .u32(op.opcode)), (1, .int32s(op.inputs)), (2, .int32s(op.outputs))]
            if let options = op.options {
                fields.append((3, .u8(op.optionsType)))
                fields.append((4, .table(options)))
            }
            return fields
        }
        let subgraph: [(Int, F)] = [(0, .tables(tensorTables)), (1, .int32s(inputs)), (2, .int32s(outputs)),
                                    (3, .tables(operatorTables)), (4, .string("main"))]
        let bufferTables: [[(Int, F)]] = buffers.map { $0.isEmpty ? [] : [(0, .bytes($0))] }
        return TestModelBuilder.model([(0, .u32(3)), (1, .tables(codes)), (2, .tables([subgraph])),
                                       (3, .string("test model")), (4, .tables(bufferTables))])
    }
}

extension Array where Element == Int32 {
    /// The values' little-endian bytes, for constant buffers.
    var littleEndianBytes: [UInt8] { flatMap { v -> [UInt8] in Swift.withUnsafeBytes(of: v.littleEndian) { [UInt8]($0) } } }
}

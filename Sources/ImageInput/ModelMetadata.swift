import CZlib
import Foundation
import TFLiteReader

/// What a model's TFLite metadata (the "TFLITE_METADATA" flatbuffer of tflite-support, with its
/// files zipped after the model) says about images in and labels out.
public struct ModelMetadata: Sendable {
    /// Normalisation of the input image, when the metadata gives one.
    public var mean: [Float]?
    public var std: [Float]?
    /// The class names of output 0, from the associated label file.
    public var labels: [String]?

    /// Reads the metadata of `model`; nil when it has none (or none this reader understands).
    public static func read(from model: Model) -> ModelMetadata? {
        guard let bytes = model.metadata(named: "TFLITE_METADATA"), bytes.count >= 8 else { return nil }
        var result = ModelMetadata()
        var labelFile: String?
        // Field ids of tflite-support's metadata_schema.fbs.
        let view = FlatBufferView(bytes: bytes)
        if let root = try? view.root(), let subgraph = (try? root.tables(3))?.first {
            if let input = (try? subgraph.tables(2))?.first {
                for unit in (try? input.tables(4)) ?? [] where (try? unit.scalar(0, default: UInt8(0))) == 1 {
                    if let options = try? unit.table(1) {
                        result.mean = floats(options, 0)
                        result.std = floats(options, 1)
                    }
                }
            }
            if let output = (try? subgraph.tables(3))?.first {
                for file in (try? output.tables(6)) ?? [] where (try? file.scalar(2, default: Int8(0))) == 2 {
                    labelFile = try? file.string(0)
                }
            }
        }
        if let zip = ZipArchive(model.bytes.bytes) {
            let name = labelFile ?? zip.names.first { $0.hasSuffix(".txt") }
            if let name, let data = zip.contents(of: name) {
                result.labels = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                while result.labels?.last == "" { result.labels?.removeLast() }
            }
        }
        return result
    }

    private static func floats(_ table: FlatTable, _ id: Int) -> [Float]? {
        guard let vector = try? table.vector(id, elementSize: 4), vector.count > 0 else { return nil }
        return (0..<vector.count).compactMap { try? vector.float(at: $0) }
    }
}

/// A zip archive at the end of a buffer (as tflite-support appends one to a model), read-only:
/// stored and deflated members.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: Int
        let compressedSize: Int
        let size: Int
        let localHeader: Int
    }

    let bytes: UnsafeRawBufferPointer
    let entries: [Entry]
    var names: [String] { entries.map(\.name) }

    init?(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        func u16(_ at: Int) -> Int? { at >= 0 && at + 2 <= bytes.count ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : nil }
        func u32(_ at: Int) -> Int? { at >= 0 && at + 4 <= bytes.count ? (u16(at) ?? 0) | (u16(at + 2) ?? 0) << 16 : nil }
        // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
        var end: Int?
        var position = bytes.count - 22
        while position >= max(0, bytes.count - 65_557) {
            if u32(position) == 0x0605_4B50 { end = position; break }
            position -= 1
        }
        guard let end, let count = u16(end + 10), let directorySize = u32(end + 12), let directoryOffset = u32(end + 16) else { return nil }
        // Offsets may be relative to the zip's own start, which follows the model.
        let base = end - directorySize - directoryOffset
        guard base >= 0 else { return nil }
        var entries: [Entry] = []
        var at = base + directoryOffset
        for _ in 0..<count {
            guard u32(at) == 0x0201_4B50, let method = u16(at + 10), let compressed = u32(at + 20), let size = u32(at + 24),
                  let nameLength = u16(at + 28), let extra = u16(at + 30), let comment = u16(at + 32), let local = u32(at + 42),
                  at + 46 + nameLength <= bytes.count else { return nil }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + 46)..<(at + 46 + nameLength)]), as: UTF8.self)
            entries.append(Entry(name: name, method: method, compressedSize: compressed, size: size, localHeader: base + local))
            at += 46 + nameLength + extra + comment
        }
        self.entries = entries
    }

    /// A member's bytes (nil when absent, damaged, or compressed other than stored/deflate).
    func contents(of name: String) -> Data? {
        guard let entry = entries.first(where: { $0.name == name }), entry.size <= 64 << 20 else { return nil }
        let at = entry.localHeader
        guard at >= 0, at + 30 <= bytes.count, bytes[at] == 0x50, bytes[at + 1] == 0x4B else { return nil }
        let nameLength = Int(bytes[at + 26]) | Int(bytes[at + 27]) << 8
        let extra = Int(bytes[at + 28]) | Int(bytes[at + 29]) << 8
        let start = at + 30 + nameLength + extra
        guard start + entry.compressedSize <= bytes.count else { return nil }
        let compressed = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + entry.compressedSize)])
        switch entry.method {
        case 0: return Data(compressed)
        case 8: return inflate(compressed, size: entry.size)
        default: return nil
        }
    }

    private func inflate(_ input: UnsafeRawBufferPointer, size: Int) -> Data? {
        var output = [UInt8](repeating: 0, count: max(size, 1))
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        let status: Int32 = output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(out.count)
            return CZlib.inflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else { return nil }
        return Data(output.prefix(size))
    }
}

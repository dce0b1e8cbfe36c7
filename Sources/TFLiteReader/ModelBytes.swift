#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The bytes of a model file, owned, 64-byte aligned and immutable. Every `Model` view and
/// every constant tensor refers into these bytes without copying them.
public final class ModelBytes: @unchecked Sendable {
    /// The file's bytes.
    public let bytes: UnsafeRawBufferPointer
    private let storage: UnsafeMutableRawBufferPointer

    /// Copies `data` into aligned storage.
    public init(_ data: some DataProtocol) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        let copied = data.copyBytes(to: storage)
        self.storage = storage
        bytes = UnsafeRawBufferPointer(rebasing: storage[0..<copied])
    }

    /// Reads a whole file, refusing files over `limit` bytes before allocating.
    public init(contentsOf path: String, limit: Int) throws(ModelError) {
        guard let file = fopen(path, "rb") else {
            throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var info = stat()
        guard fstat(fileno(file), &info) == 0 else {
            throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotRead(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        guard size <= limit else { throw .tooLarge(bytes: size, limit: limit) }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 64)
        let read = size == 0 ? 0 : fread(storage.baseAddress, 1, size, file)
        guard read == size else {
            storage.deallocate()
            throw .cannotRead(path: path, reason: "short read (\(read) of \(size) bytes)")
        }
        self.storage = storage
        bytes = UnsafeRawBufferPointer(rebasing: storage[0..<size])
    }

    deinit { storage.deallocate() }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The bytes of a model file, owned, 64-byte aligned and immutable. Every `Model` view and
/// every constant tensor refers into these bytes without copying them.
///
/// A file is mapped read-only (copy-on-write, never written), as LiteRT maps its models: only
/// the pages something reads become resident, and `releaseResidentPages` can give pages back
/// once their values have been copied elsewhere (packed weights) — the kernel rereads them
/// from the file if they are touched again. As with any mapped file (LiteRT's too), rewriting
/// or truncating the file while a model is open is not supported; `ModelBytes(Data(...))`
/// takes a private copy instead.
public final class ModelBytes: @unchecked Sendable {
    /// The file's bytes.
    public let bytes: UnsafeRawBufferPointer
    private let storage: UnsafeMutableRawBufferPointer
    /// Whether `storage` is a file mapping (else an allocation).
    private let mapped: Bool

    /// Copies `data` into aligned storage.
    public init(_ data: some DataProtocol) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        let copied = data.copyBytes(to: storage)
        self.storage = storage
        mapped = false
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
        if size > 0, let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fileno(file), 0), address != MAP_FAILED {
            storage = UnsafeMutableRawBufferPointer(start: address, count: size)
            mapped = true
            bytes = UnsafeRawBufferPointer(storage)
            return
        }
        // Empty files, and file systems that cannot map: read into memory.
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 64)
        let read = size == 0 ? 0 : fread(storage.baseAddress, 1, size, file)
        guard read == size else {
            storage.deallocate()
            throw .cannotRead(path: path, reason: "short read (\(read) of \(size) bytes)")
        }
        self.storage = storage
        mapped = false
        bytes = UnsafeRawBufferPointer(rebasing: storage[0..<size])
    }

    /// Lets the system drop the resident pages lying wholly inside `range`: for a mapped file
    /// their contents stay readable (reread from the file when touched). Does nothing for
    /// bytes held in memory or for a range that is not part of `bytes`.
    package func releaseResidentPages(_ range: UnsafeRawBufferPointer) {
        guard mapped, let start = range.baseAddress, let base = storage.baseAddress, range.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let offset = start - UnsafeRawPointer(base)
        guard offset >= 0, offset <= storage.count - range.count else { return }
        let first = (offset + page - 1) / page * page
        let end = (offset + range.count) / page * page
        guard end > first else { return }
        _ = madvise(base + first, end - first, MADV_DONTNEED)
    }

    deinit {
        if mapped {
            _ = munmap(storage.baseAddress, storage.count)
        } else {
            storage.deallocate()
        }
    }
}

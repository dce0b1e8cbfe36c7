import Foundation
import Testing
import TFLiteReader

/// A model file is mapped; giving its pages back must not change what the bytes read.
@Suite struct ModelBytesTests {
    static var largestFixture: URL? {
        ReaderTestPaths.fixtureModels.max { a, b in
            ((try? a.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) < ((try? b.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0)
        }
    }

    @Test func mappedFileReadsTheFileBytesBeforeAndAfterItsPagesAreReleased() throws {
        let url = try #require(Self.largestFixture)
        let expected = try Data(contentsOf: url)
        #expect(expected.count > 3 * 4096, "the fixture should span several pages")
        let mapped = try ModelBytes(contentsOf: url.path, limit: 1 << 30)
        #expect(Data(mapped.bytes) == expected)
        // Everything but the first and last byte: whole pages inside are dropped.
        mapped.releaseResidentPages(UnsafeRawBufferPointer(rebasing: mapped.bytes[1..<(mapped.bytes.count - 1)]))
        #expect(Data(mapped.bytes) == expected)
        // A range outside the bytes is ignored.
        let other = ModelBytes(expected)
        mapped.releaseResidentPages(other.bytes)
        other.releaseResidentPages(other.bytes)
        #expect(Data(other.bytes) == expected)
        #expect(try Model(bytes: mapped).subgraphs.count >= 1)
    }

    @Test func emptyFileIsReadNotMapped() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString).tflite").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = try ModelBytes(contentsOf: path, limit: 1 << 20)
        #expect(bytes.bytes.isEmpty)
        #expect(throws: ModelError.self) { try Model(bytes: bytes) }
    }
}

import Foundation

/// Where the reader tests find models: the package's fixtures, and ../shared when present.
enum ReaderTestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/models")
    static var sharedExists: Bool { FileManager.default.fileExists(atPath: shared.path) }

    static func models(in directory: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "tflite" }.sorted { $0.path < $1.path }
    }

    static var fixtureModels: [URL] { models(in: packageRoot.appendingPathComponent("Fixtures/models")) }
    static var sharedModels: [URL] { models(in: shared) + models(in: shared.appendingPathComponent("bench")) }

    static let flatc: String? = ["/usr/bin/flatc", "/usr/local/bin/flatc"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

import Foundation
import Testing
import TFLiteReader

/// Damaged files end in a `ModelError`, never a trap or a hang: truncations and byte flips at
/// seeded random places, plus the named failure cases.
@Suite struct CorruptionTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static var models: [URL] {
        let small = ReaderTestPaths.fixtureModels.prefix(4)
        let shared = ["person_detect_int8.tflite", "mobilenet_v1_0.25_128_uint8.tflite"]
            .map { ReaderTestPaths.shared.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        return Array(small) + shared
    }

    @Test func namedFailures() throws {
        #expect(throws: ModelError.empty) { try Model(data: Data()) }
        #expect(throws: ModelError.truncated(bytes: 4)) { try Model(data: Data([0, 0, 0, 0])) }
        #expect(throws: ModelError.wrongIdentifier(found: "\"ABCD\"")) { try Model(data: Data([12, 0, 0, 0] + Array("ABCD".utf8) + [0, 0, 0, 0])) }
        #expect {
            try Model(contentsOf: "/nonexistent/model.tflite")
        } throws: { error in
            if case ModelError.cannotRead = error { return true }
            return false
        }
    }

    @Test(arguments: models)
    func truncatedAndFlippedModelsAreErrorsNotCrashes(_ url: URL) throws {
        let original = try Data(contentsOf: url)
        var generator = Generator(state: 20261128)
        var rejected = 0, accepted = 0
        for _ in 0..<200 {
            let length = Int.random(in: 0..<original.count, using: &generator)
            do { _ = try Model(data: original.prefix(length)); accepted += 1 } catch { rejected += 1 }
        }
        for _ in 0..<300 {
            var damaged = original
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let offset = Int.random(in: 0..<damaged.count, using: &generator)
                damaged[offset] ^= UInt8.random(in: 1...255, using: &generator)
            }
            do { _ = try Model(data: damaged); accepted += 1 } catch { rejected += 1 }
        }
        // Every truncation below the full length loses the buffers' end: almost all must fail.
        #expect(rejected >= 200, "\(url.lastPathComponent): \(rejected) rejected, \(accepted) read")
    }
}

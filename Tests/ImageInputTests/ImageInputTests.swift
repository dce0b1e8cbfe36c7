import Foundation
import ImageInput
import Testing
import TFLiteCore
import TFLiteReader

enum ImageTestPaths {
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    static var sharedExists: Bool { FileManager.default.fileExists(atPath: shared.appendingPathComponent("images").path) }
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
}

@Suite struct ImageDecodingTests {
    /// Sizes and channels of the shared photos, as PIL reports them (mode L = 1, RGB = 3).
    static let sharedImages: [(String, Int, Int, Int)] = [
        ("burger.jpg", 480, 358, 3), ("grace_hopper.jpg", 517, 606, 3), ("sparrow.png", 0, 0, 0),
        ("person_96x96_gray.bmp", 96, 96, 1), ("cat.bmp", 0, 0, 0),
    ]

    @Test(.enabled(if: ImageTestPaths.sharedExists, "../shared/images is absent"))
    func sharedPhotosDecode() throws {
        let burger = try DecodedImage.decode(path: ImageTestPaths.shared.appendingPathComponent("images/burger.jpg").path)
        #expect(burger.channels == 3)
        #expect(burger.pixels.count == burger.width * burger.height * 3)
        let person = try DecodedImage.decode(path: ImageTestPaths.shared.appendingPathComponent("images/person_96x96_gray.bmp").path)
        #expect(person.width == 96 && person.height == 96 && person.channels == 1)
        for name in ["grace_hopper.jpg", "sparrow.png", "cat.bmp", "burger-224.png", "cats_and_dogs.jpg"] {
            let image = try DecodedImage.decode(path: ImageTestPaths.shared.appendingPathComponent("images/\(name)").path)
            #expect(image.width > 0 && image.height > 0 && [1, 3, 4].contains(image.channels), "\(name)")
        }
    }

    @Test func fixtureDigitsArePNGGray() throws {
        let folder = ImageTestPaths.fixtures.appendingPathComponent("digits/test/7")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().first)
        let image = try DecodedImage.decode(path: folder.appendingPathComponent(file).path)
        #expect(image.width == 32 && image.height == 32 && image.channels == 1)
    }

    /// A 3×2 24-bit bottom-up BMP built here decodes to exactly its pixels.
    @Test func bmpRoundTrip() throws {
        let pixels: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30], [40, 50, 60], [70, 80, 90]]
        var bmp: [UInt8] = Array("BM".utf8)
        let rowBytes = 12, dataOffset = 54
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        bmp += le32(dataOffset + rowBytes * 2) + le32(0) + le32(dataOffset)
        bmp += le32(40) + le32(3) + le32(2) + [1, 0, 24, 0] + le32(0) + le32(rowBytes * 2) + le32(2835) + le32(2835) + le32(0) + le32(0)
        for y in [1, 0] {   // bottom-up
            for x in 0..<3 { let p = pixels[y * 3 + x]; bmp += [p[2], p[1], p[0]] }
            bmp += [0, 0, 0]
        }
        let image = try DecodedImage.decode(data: Data(bmp))
        #expect(image.width == 3 && image.height == 2 && image.channels == 3)
        #expect(image.pixels == pixels.flatMap { $0 })
    }

    @Test(.enabled(if: ImageTestPaths.sharedExists, "../shared/images is absent"))
    func damagedFilesAreErrorsNotCrashes() throws {
        for name in ["burger.jpg", "sparrow.png", "person_96x96_gray.bmp"] {
            let original = try Data(contentsOf: ImageTestPaths.shared.appendingPathComponent("images/\(name)"))
            var state: UInt64 = 99
            func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
            var failures = 0
            for _ in 0..<60 {
                let cut = original.prefix(next() % original.count)
                do { _ = try DecodedImage.decode(data: cut, name: name) } catch { failures += 1 }
            }
            for _ in 0..<60 {
                var damaged = original
                for _ in 0..<16 { damaged[next() % damaged.count] ^= UInt8(truncatingIfNeeded: next() | 1) }
                _ = try? DecodedImage.decode(data: damaged, name: name)
            }
            #expect(failures > 0, "\(name): truncations must be reported")
        }
        #expect(throws: ImageError.self) { try DecodedImage.decode(data: Data("not an image".utf8)) }
        #expect(throws: ImageError.self) { try DecodedImage.decode(path: "/nonexistent.png") }
    }
}

@Suite struct PreprocessingTests {
    @Test func normalisesAndQuantizes() throws {
        let image = DecodedImage(width: 1, height: 1, channels: 3, pixels: [0, 127, 255])
        let floats = try ImagePreprocessor().inputBytes(for: image, shape: [1, 1, 1, 3], type: .float32, quantization: nil)
        let values = floats.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values == [-1, (127 - 127.5) / 127.5, 1])
        let q = QuantizationParameters(scales: [1.0 / 128], zeroPoints: [128])
        let bytes = try ImagePreprocessor().inputBytes(for: image, shape: [1, 1, 1, 3], type: .uint8, quantization: q)
        // (127 − 127.5) / 127.5 · 128 = −0.502, rounded away from zero to −1.
        #expect([UInt8](bytes) == [0, 127, 255])
        let signed = try ImagePreprocessor().inputBytes(for: image, shape: [1, 1, 1, 3], type: .int8, quantization: QuantizationParameters(scales: [1.0 / 128], zeroPoints: [0]))
        #expect([UInt8](signed).map { Int8(bitPattern: $0) } == [-128, -1, 127])
    }

    @Test func resizesBilinearlyWithHalfPixelCentres() throws {
        let image = DecodedImage(width: 2, height: 1, channels: 1, pixels: [0, 100])
        let out = try ImagePreprocessor(mean: [0], std: [1]).inputBytes(for: image, shape: [1, 1, 4, 1], type: .float32, quantization: nil)
        #expect(out.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == [0, 25, 75, 100])
    }

    @Test func convertsChannelsAndLayout() throws {
        let gray = DecodedImage(width: 1, height: 1, channels: 1, pixels: [200])
        let rgb = try ImagePreprocessor(mean: [0], std: [1]).inputBytes(for: gray, shape: [1, 3, 1, 1], type: .float32, quantization: nil)
        #expect(rgb.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == [200, 200, 200])
        #expect(try ImagePreprocessor.geometry(of: [1, 3, 224, 224]).layout == .nchw)
        #expect(try ImagePreprocessor.geometry(of: [1, 224, 224, 3]).layout == .nhwc)
        #expect(throws: ImageError.self) { try ImagePreprocessor.geometry(of: [1, 1001]) }
    }
}

@Suite(.enabled(if: ImageTestPaths.sharedExists, "../shared/models is absent"))
struct MetadataTests {
    @Test(arguments: ["mobilenet_v1_0.25_224_float_metadata.tflite", "mobilenet_v1_0.25_224_uint8_metadata.tflite"])
    func labelsComeFromTheModel(_ file: String) throws {
        let model = try Model(contentsOf: ImageTestPaths.shared.appendingPathComponent("models/\(file)").path)
        let metadata = try #require(ModelMetadata.read(from: model))
        let labels = try #require(metadata.labels)
        #expect(labels.count == 1001)
        #expect(labels[934] == "cheeseburger")
        #expect(labels[0] == "background")
    }

    @Test func floatModelNormalisationComesFromTheModel() throws {
        let model = try Model(contentsOf: ImageTestPaths.shared.appendingPathComponent("models/mobilenet_v1_0.25_224_float_metadata.tflite").path)
        let metadata = try #require(ModelMetadata.read(from: model))
        #expect(metadata.mean == [127.5])
        #expect(metadata.std == [127.5])
    }
}

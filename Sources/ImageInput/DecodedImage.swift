import CJPEG
import CPNG
import Foundation

/// An 8-bit image: `height` rows of `width` pixels of `channels` interleaved values (1 gray,
/// 3 RGB, 4 RGBA).
public struct DecodedImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The largest image decoded: 16384 × 16384 pixels.
    public static let maximumPixels = 16384 * 16384

    /// Decodes a JPEG, PNG or BMP file, recognised by its first bytes.
    public static func decode(path: String) throws(ImageError) -> DecodedImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotRead(path: path, reason: FileManager.default.fileExists(atPath: path) ? "unreadable" : "no such file")
        }
        return try decode(data: data, name: path)
    }

    /// Decodes image bytes; `name` names the image in errors.
    public static func decode(data: Data, name: String = "image") throws(ImageError) -> DecodedImage {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return try decodeJPEG(bytes, name: name) }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(bytes, name: name) }
        if bytes.starts(with: [0x42, 0x4D]) { return try BMPDecoder.decode(bytes, name: name) }
        throw .unsupportedFormat(path: name)
    }

    static func decodeJPEG(_ bytes: [UInt8], name: String) throws(ImageError) -> DecodedImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { buffer in
            swift_tflite_jpeg_decode(buffer.baseAddress, UInt(buffer.count), UInt(maximumPixels), &pixels, &width, &height, &channels,
                                     &message, message.count)
        }
        guard status == 0, let pixels else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .corrupt(path: name, reason: reason.isEmpty ? "JPEG decoding failed" : reason)
        }
        defer { free(pixels) }
        let count = Int(width) * Int(height) * Int(channels)
        return DecodedImage(width: Int(width), height: Int(height), channels: Int(channels),
                            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    static func decodePNG(_ bytes: [UInt8], name: String) throws(ImageError) -> DecodedImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = bytes.withUnsafeBufferPointer { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw .corrupt(path: name, reason: pngMessage(&image)) }
        defer { png_image_free(&image) }
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width <= 16384, height <= 16384 else { throw .tooLarge(path: name, width: width, height: height) }
        let hasColor = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let hasAlpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let channels = (hasColor ? 3 : 1) + (hasAlpha ? 1 : 0)
        image.format = (hasColor ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0) | (hasAlpha ? UInt32(PNG_FORMAT_FLAG_ALPHA) : 0)
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let finished = bytes.withUnsafeBufferPointer { _ in
            pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        }
        guard finished != 0 else { throw .corrupt(path: name, reason: pngMessage(&image)) }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    private static func pngMessage(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// Windows bitmaps: BITMAPINFOHEADER (and later) files, 8-bit palette, 24-bit and 32-bit,
/// bottom-up or top-down, uncompressed (or BI_BITFIELDS with the usual masks).
enum BMPDecoder {
    static func decode(_ bytes: [UInt8], name: String) throws(ImageError) -> DecodedImage {
        func u16(_ at: Int) -> Int? { at + 2 <= bytes.count ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : nil }
        func u32(_ at: Int) -> Int? {
            at + 4 <= bytes.count ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 : nil
        }
        func corrupt(_ reason: String) -> ImageError { .corrupt(path: name, reason: reason) }
        guard let dataOffset = u32(10), let headerSize = u32(14), headerSize >= 40, let rawWidth = u32(18), let rawHeight = u32(22),
              let bits = u16(28), let compression = u32(30) else { throw corrupt("truncated BMP header") }
        let width = rawWidth
        let signedHeight = Int(Int32(truncatingIfNeeded: rawHeight))
        let height = abs(signedHeight)
        let topDown = signedHeight < 0
        guard width > 0, height > 0 else { throw corrupt("BMP of \(width)×\(height) pixels") }
        guard width <= 16384, height <= 16384 else { throw .tooLarge(path: name, width: width, height: height) }
        guard compression == 0 || (compression == 3 && bits == 32) else { throw corrupt("compressed BMP (method \(compression)) is not supported") }
        guard [8, 24, 32].contains(bits) else { throw corrupt("\(bits)-bit BMP is not supported") }
        let rowBytes = (width * bits + 31) / 32 * 4
        guard dataOffset >= 14 + headerSize, dataOffset + rowBytes * height <= bytes.count else { throw corrupt("truncated BMP pixel data") }
        var palette: [(UInt8, UInt8, UInt8)] = []
        if bits == 8 {
            let colors = (u32(46) ?? 0) == 0 ? 256 : min(u32(46) ?? 256, 256)
            let start = 14 + headerSize
            guard start + colors * 4 <= dataOffset else { throw corrupt("truncated BMP palette") }
            palette = (0..<colors).map { i in (bytes[start + 4 * i + 2], bytes[start + 4 * i + 1], bytes[start + 4 * i]) }
        }
        let gray = bits == 8 && palette.allSatisfy { $0.0 == $0.1 && $0.1 == $0.2 }
        let channels = gray ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height {
            let source = dataOffset + (topDown ? y : height - 1 - y) * rowBytes
            for x in 0..<width {
                let out = (y * width + x) * channels
                switch bits {
                case 8:
                    let index = Int(bytes[source + x])
                    let color = index < palette.count ? palette[index] : (0, 0, 0)
                    if gray { pixels[out] = color.0 } else { (pixels[out], pixels[out + 1], pixels[out + 2]) = color }
                default:
                    let p = source + x * (bits / 8)
                    pixels[out] = bytes[p + 2]
                    pixels[out + 1] = bytes[p + 1]
                    pixels[out + 2] = bytes[p]
                }
            }
        }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }
}

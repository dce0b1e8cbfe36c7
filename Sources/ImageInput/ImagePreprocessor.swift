import Foundation
import TFLiteCore

/// Turns a decoded image into the bytes of a model's image input: channel conversion, bilinear
/// resize to the input's height and width, normalisation `(x − mean) / std`, and, for INT8 and
/// UINT8 inputs, quantization of that normalised value with the input's scale and zero point.
public struct ImagePreprocessor: Sendable {
    /// Per-channel (or one for all) mean subtracted from each 0…255 pixel value.
    public var mean: [Float]
    /// Per-channel (or one for all) divisor after the mean.
    public var std: [Float]

    public init(mean: [Float] = [127.5], std: [Float] = [127.5]) {
        self.mean = mean
        self.std = std
    }

    /// How an image input lays out its dimensions.
    public enum Layout: Equatable, Sendable { case nhwc, nchw }

    /// The layout, height, width and channels of a 4-D image input.
    public static func geometry(of shape: [Int]) throws(ImageError) -> (layout: Layout, height: Int, width: Int, channels: Int) {
        guard shape.count == 4 else { throw .unsupportedInput("an image input is 4-D, this one is \(shape)") }
        if [1, 3].contains(shape[1]) && ![1, 3].contains(shape[3]) {
            return (.nchw, shape[2], shape[3], shape[1])
        }
        guard [1, 3].contains(shape[3]) else { throw .unsupportedInput("\(shape) has neither 1 nor 3 channels") }
        return (.nhwc, shape[1], shape[2], shape[3])
    }

    /// The input bytes for `image` (batch 1; other batch entries are left zero).
    public func inputBytes(for image: DecodedImage, shape: [Int], type: DataType, quantization: QuantizationParameters?) throws(ImageError) -> Data {
        let (layout, height, width, channels) = try Self.geometry(of: shape)
        guard height >= 1, width >= 1, height <= 16384, width <= 16384 else { throw .unsupportedInput("input size \(height)×\(width)") }
        guard shape[0] >= 1 else { throw .unsupportedInput("batch \(shape[0])") }
        let values = normalised(resized(converted(image, to: channels), height: height, width: width), channels: channels)
        var planar = values
        if layout == .nchw {
            planar = [Float](repeating: 0, count: values.count)
            for y in 0..<height {
                for x in 0..<width {
                    for c in 0..<channels { planar[(c * height + y) * width + x] = values[(y * width + x) * channels + c] }
                }
            }
        }
        let total = shape.reduce(1, *)
        switch type {
        case .float32:
            var floats = [Float](repeating: 0, count: total)
            floats.replaceSubrange(0..<planar.count, with: planar)
            return floats.withUnsafeBytes { Data($0) }
        case .int8, .uint8:
            guard let q = quantization, let scale = q.scales.first, scale > 0, scale.isFinite else {
                throw .unsupportedInput("the quantized input has no usable scale")
            }
            let zeroPoint = Float(q.zeroPoint)
            let (low, high): (Float, Float) = type == .int8 ? (-128, 127) : (0, 255)
            var bytes = [UInt8](repeating: 0, count: total)
            for (i, v) in planar.enumerated() {
                let quantized = min(max((v / scale).rounded(.toNearestOrAwayFromZero) + zeroPoint, low), high)
                bytes[i] = type == .int8 ? UInt8(bitPattern: Int8(quantized)) : UInt8(quantized)
            }
            return Data(bytes)
        default:
            throw .unsupportedInput("input type \(type.schemaName)")
        }
    }

    /// The image's pixels as floats with `channels` channels (gray ↔ RGB, alpha dropped).
    func converted(_ image: DecodedImage, to channels: Int) -> (pixels: [Float], width: Int, height: Int) {
        var out = [Float](repeating: 0, count: image.width * image.height * channels)
        for i in 0..<(image.width * image.height) {
            let p = i * image.channels
            let r = Float(image.pixels[p])
            let g = image.channels >= 3 ? Float(image.pixels[p + 1]) : r
            let b = image.channels >= 3 ? Float(image.pixels[p + 2]) : r
            if channels == 1 {
                out[i] = image.channels >= 3 ? 0.299 * r + 0.587 * g + 0.114 * b : r
            } else {
                out[i * 3] = r
                out[i * 3 + 1] = g
                out[i * 3 + 2] = b
            }
        }
        return (out, image.width, image.height)
    }

    /// Bilinear resize with half-pixel centres, as `tf.image.resize(method: "bilinear")` without
    /// antialiasing; the identity when the size already matches.
    func resized(_ source: (pixels: [Float], width: Int, height: Int), height: Int, width: Int) -> [Float] {
        let channels = source.pixels.count / max(source.width * source.height, 1)
        if source.width == width && source.height == height { return source.pixels }
        var out = [Float](repeating: 0, count: width * height * channels)
        let scaleY = Float(source.height) / Float(height), scaleX = Float(source.width) / Float(width)
        for y in 0..<height {
            let sy = max(0, (Float(y) + 0.5) * scaleY - 0.5)
            let y0 = min(Int(sy), source.height - 1), y1 = min(y0 + 1, source.height - 1)
            let fy = sy - Float(y0)
            for x in 0..<width {
                let sx = max(0, (Float(x) + 0.5) * scaleX - 0.5)
                let x0 = min(Int(sx), source.width - 1), x1 = min(x0 + 1, source.width - 1)
                let fx = sx - Float(x0)
                for c in 0..<channels {
                    func at(_ yy: Int, _ xx: Int) -> Float { source.pixels[(yy * source.width + xx) * channels + c] }
                    let top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx
                    let bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx
                    out[(y * width + x) * channels + c] = top + (bottom - top) * fy
                }
            }
        }
        return out
    }

    func normalised(_ values: [Float], channels: Int) -> [Float] {
        values.enumerated().map { i, v in
            let c = i % channels
            let m = mean.count > c ? mean[c] : (mean.first ?? 0)
            let s = std.count > c ? std[c] : (std.first ?? 1)
            return (v - m) / (s == 0 ? 1 : s)
        }
    }
}

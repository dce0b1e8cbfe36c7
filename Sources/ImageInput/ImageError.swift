/// Why an image could not be read or prepared. Each description is one line naming the file.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case unsupportedFormat(path: String)
    case corrupt(path: String, reason: String)
    case tooLarge(path: String, width: Int, height: Int)
    case unsupportedInput(String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "cannot read image \(path): \(reason)"
        case .unsupportedFormat(let path): "\(path): not a JPEG, PNG or BMP image"
        case .corrupt(let path, let reason): "\(path): corrupt or unsupported image: \(reason)"
        case .tooLarge(let path, let width, let height): "\(path): \(width)×\(height) is larger than the 16384×16384 limit"
        case .unsupportedInput(let reason): "the model's input cannot take an image: \(reason)"
        }
    }
}

import Foundation
import TFLite

/// Paths the tests read: the package's own fixtures, and the read-only shared data beside it.
enum TestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Fixtures")
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static var sharedExists: Bool { FileManager.default.fileExists(atPath: shared.appendingPathComponent("golden/manifest.json").path) }
}

/// How one output compares with its golden bytes.
struct Comparison: CustomStringConvertible {
    var exact: Bool
    /// Largest difference: in quantized units for integer types, absolute for floats.
    var maxDifference: Double
    var top1Matches: Bool

    var description: String { "exact: \(exact), max diff: \(maxDifference), top-1 same: \(top1Matches)" }

    init(_ actual: Data, _ expected: Data, dtype: String) {
        exact = actual == expected
        func values(_ data: Data) -> [Double] {
            data.withUnsafeBytes { raw -> [Double] in
                switch dtype {
                case "float32": (0..<(raw.count / 4)).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self)) }
                case "int8": raw.map { Double(Int8(bitPattern: $0)) }
                case "uint8": raw.map { Double($0) }
                case "int32": (0..<(raw.count / 4)).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
                case "int64": (0..<(raw.count / 8)).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
                default: raw.map { Double($0) }
                }
            }
        }
        let a = values(actual), e = values(expected)
        if a.count != e.count {
            maxDifference = .infinity
            top1Matches = false
            return
        }
        maxDifference = zip(a, e).map { abs($0 - $1) }.max() ?? 0
        if maxDifference.isNaN { maxDifference = .infinity }
        let argmax = { (v: [Double]) in v.indices.max { v[$0] < v[$1] || (v[$0] == v[$1] && $0 > $1) } }
        top1Matches = argmax(a) == argmax(e)
    }
}

func readJSON(_ url: URL) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(contentsOf: url))
}

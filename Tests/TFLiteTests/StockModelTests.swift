import Foundation
import Testing
import TFLite

/// The stock MobileNets of ../shared against LiteRT's reference kernels on real photos
/// (../shared/golden/manifest.json): float outputs within 1e-4 with the same top-1, quantized
/// outputs byte for byte. Skipped when ../shared is absent.
@Suite(.enabled(if: TestPaths.sharedExists, "../shared/golden/manifest.json is absent: stock-model goldens skipped"))
struct StockModelTests {
    struct Golden: Sendable, CustomTestStringConvertible {
        let model: String
        let image: String
        let input: String
        let reference: String
        let dtype: String
        var testDescription: String { "\(model.split(separator: "/").last ?? "") × \(image.split(separator: "/").last ?? "")" }
    }

    static let goldens: [Golden] = {
        guard let list = try? readJSON(TestPaths.shared.appendingPathComponent("golden/manifest.json")) as? [[String: Any]] else { return [] }
        return list.compactMap { entry in
            guard let model = entry["model"] as? String, let image = entry["image"] as? String,
                  let input = (entry["input"] as? [String: Any])?["file"] as? String,
                  let reference = entry["reference"] as? [String: Any], let file = reference["file"] as? String,
                  let dtype = reference["dtype"] as? String else { return nil }
            return Golden(model: model, image: image, input: input, reference: file, dtype: dtype)
        }
    }()

    @Test(arguments: goldens)
    func matchesLiteRTReference(_ golden: Golden) throws {
        let interpreter = try Interpreter(modelPath: TestPaths.shared.appendingPathComponent(golden.model).path)
        try interpreter.allocateTensors()
        try interpreter.copy(Data(contentsOf: TestPaths.shared.appendingPathComponent(golden.input)), toInputAt: 0)
        try interpreter.invoke()
        let expected = try Data(contentsOf: TestPaths.shared.appendingPathComponent(golden.reference))
        let comparison = Comparison(try interpreter.output(at: 0).data, expected, dtype: golden.dtype)
        if golden.dtype == "float32" {
            #expect(comparison.maxDifference <= 1e-4, "\(comparison)")
            #expect(comparison.top1Matches, "\(comparison)")
        } else {
            #expect(comparison.exact, "\(comparison)")
        }
    }

    /// One line a model: how many quantized cases match the reference exactly, and the largest
    /// difference in quantized units where not.
    @Test func quantizedExactnessSummary() throws {
        var exact = 0, total = 0
        var worst = 0.0
        var lines: [String] = []
        for golden in Self.goldens where golden.dtype != "float32" {
            total += 1
            do {
                let interpreter = try Interpreter(modelPath: TestPaths.shared.appendingPathComponent(golden.model).path)
                try interpreter.allocateTensors()
                try interpreter.copy(Data(contentsOf: TestPaths.shared.appendingPathComponent(golden.input)), toInputAt: 0)
                try interpreter.invoke()
                let c = Comparison(try interpreter.output(at: 0).data, try Data(contentsOf: TestPaths.shared.appendingPathComponent(golden.reference)), dtype: golden.dtype)
                if c.exact { exact += 1 } else { worst = max(worst, c.maxDifference); lines.append("\(golden.testDescription): \(c)") }
            } catch {
                worst = .infinity
                lines.append("\(golden.testDescription): \(error)")
            }
        }
        print("quantized stock models: \(exact)/\(total) outputs identical to LiteRT's reference kernels; largest difference \(worst) LSB")
        for line in lines { print("  " + line) }
        #expect(exact == total)
    }
}

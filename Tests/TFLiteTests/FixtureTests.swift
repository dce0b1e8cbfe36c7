import Foundation
import Testing
import TFLite

/// Every fixture the generator made (Fixtures/manifest.json: small models with LiteRT
/// reference-kernel outputs) runs here and gives the same bytes (integer outputs and the
/// dynamic-range "hybrid" cases) or the same values within 1e-4 (other float outputs).
@Suite struct FixtureTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let kind: String
        let model: String
        let inputs: [[String: any Sendable]]
        let outputs: [[String: any Sendable]]
        let resize: [[Int]]?
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let url = TestPaths.fixtures.appendingPathComponent("manifest.json")
        guard let root = try? readJSON(url) as? [String: Any], let list = root["cases"] as? [[String: Any]] else { return [] }
        return list.compactMap { entry in
            guard let name = entry["name"] as? String, let model = entry["model"] as? String,
                  let inputs = entry["inputs"] as? [[String: Any]], let outputs = entry["outputs"] as? [[String: Any]] else { return nil }
            func sendable(_ list: [[String: Any]]) -> [[String: any Sendable]] {
                list.map { $0.compactMapValues { value -> (any Sendable)? in
                    switch value {
                    case let s as String: s
                    case let n as NSNumber: n.doubleValue
                    case let a as [Any]: a.compactMap { ($0 as? NSNumber)?.intValue }
                    default: nil
                    }
                } }
            }
            return Case(name: name, kind: entry["kind"] as? String ?? "", model: model, inputs: sendable(inputs),
                        outputs: sendable(outputs), resize: entry["resize_input"] as? [[Int]])
        }
    }()

    @Test func fixturesExist() {
        #expect(Self.cases.count > 0, "Fixtures/manifest.json lists no cases: run Fixtures/generate.py")
    }

    @Test(arguments: cases)
    func fixtureMatchesLiteRTReference(_ fixture: Case) throws {
        let interpreter = try Interpreter(modelPath: TestPaths.fixtures.appendingPathComponent(fixture.model).path)
        for (index, shape) in (fixture.resize ?? []).enumerated() { try interpreter.resizeInput(at: index, to: shape) }
        try interpreter.allocateTensors()
        for (index, input) in fixture.inputs.enumerated() {
            let file = try #require(input["file"] as? String)
            try interpreter.copy(Data(contentsOf: TestPaths.fixtures.appendingPathComponent(file)), toInputAt: index)
        }
        try interpreter.invoke()
        for (index, output) in fixture.outputs.enumerated() {
            let file = try #require(output["file"] as? String)
            let dtype = output["dtype"] as? String ?? "float32"
            let expected = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent(file))
            let actual = try interpreter.output(at: index)
            #expect(actual.shape == (output["shape"] as? [Int] ?? []), "\(fixture.name) output \(index) shape")
            let comparison = Comparison(actual.data, expected, dtype: dtype)
            if dtype == "float32" && fixture.kind == "hybrid" {
                // Dynamic-range kernels follow LiteRT's float operations one by one: the same bits
                // (measured max difference 0 on every hybrid case).
                #expect(comparison.exact, "\(fixture.name) output \(index): \(comparison)")
            } else if dtype == "float32" {
                #expect(comparison.maxDifference <= 1e-4, "\(fixture.name) output \(index): \(comparison)")
            } else {
                #expect(comparison.exact, "\(fixture.name) output \(index): \(comparison)")
            }
        }
    }
}

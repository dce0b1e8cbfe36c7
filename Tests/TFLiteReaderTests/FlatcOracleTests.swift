import Foundation
import Testing
import TFLiteCore
import TFLiteReader

/// The reader against flatc: `flatc --json` of the same schema is an independent reading of the
/// same bytes. Every operator, tensor and quantization parameter must agree.
@Suite(.enabled(if: ReaderTestPaths.flatc != nil, "flatc is not installed (apt-get install flatbuffers-compiler)"))
struct FlatcOracleTests {
    /// flatc's JSON of a model, read with a copy of the schema whose buffer data field is
    /// deprecated, so that flatc leaves the (large) weight bytes out of the JSON.
    static func flatcJSON(_ model: URL) throws -> [String: Any] {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("flatc-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temp) }
        let schema = try String(contentsOf: ReaderTestPaths.packageRoot.appendingPathComponent("schema/schema.fbs"), encoding: .utf8)
            .replacingOccurrences(of: "  data:[ubyte] (force_align: 16);", with: "  data:[ubyte] (deprecated);")
        let schemaURL = temp.appendingPathComponent("schema.fbs")
        try schema.write(to: schemaURL, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ReaderTestPaths.flatc ?? "flatc")
        process.arguments = ["--json", "--raw-binary", "--strict-json", "--defaults-json", "-o", temp.path, schemaURL.path, "--", model.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
        let json = temp.appendingPathComponent(model.deletingPathExtension().lastPathComponent + ".json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any] ?? [:]
    }

    static func compare(_ url: URL) throws {
        let model = try Model(contentsOf: url.path)
        let json = try flatcJSON(url)
        let name = url.lastPathComponent
        #expect(json["version"] as? Int == Int(model.version), "\(name) version")
        #expect((json["buffers"] as? [Any])?.count == model.buffers.count, "\(name) buffer count")
        let metadata = (json["metadata"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(metadata == model.metadata.map(\.name), "\(name) metadata")
        let codes = (json["operator_codes"] as? [[String: Any]] ?? []).map { code -> String in
            let deprecated = code["deprecated_builtin_code"] as? Int ?? 0
            let builtin = BuiltinOperator(name: code["builtin_code"] as? String ?? "ADD")?.rawValue ?? 0
            return BuiltinOperator(rawValue: max(Int32(deprecated), builtin)).name
        }
        let subgraphs = json["subgraphs"] as? [[String: Any]] ?? []
        try #require(subgraphs.count == model.subgraphs.count, "\(name) subgraph count")
        for (s, (jsonGraph, graph)) in zip(subgraphs, model.subgraphs).enumerated() {
            #expect(jsonGraph["inputs"] as? [Int] ?? [] == graph.inputs, "\(name) subgraph \(s) inputs")
            #expect(jsonGraph["outputs"] as? [Int] ?? [] == graph.outputs, "\(name) subgraph \(s) outputs")
            let operators = jsonGraph["operators"] as? [[String: Any]] ?? []
            try #require(operators.count == graph.operators.count, "\(name) operator count")
            for (o, (jsonOp, op)) in zip(operators, graph.operators).enumerated() {
                let index = jsonOp["opcode_index"] as? Int ?? 0
                #expect(index < codes.count && codes[index] == op.builtin.name, "\(name) operator \(o) opcode")
                #expect(jsonOp["inputs"] as? [Int] ?? [] == op.inputs, "\(name) operator \(o) inputs")
                #expect(jsonOp["outputs"] as? [Int] ?? [] == op.outputs, "\(name) operator \(o) outputs")
            }
            let tensors = jsonGraph["tensors"] as? [[String: Any]] ?? []
            try #require(tensors.count == graph.tensors.count, "\(name) tensor count")
            for (t, (jsonTensor, tensor)) in zip(tensors, graph.tensors).enumerated() {
                #expect(jsonTensor["shape"] as? [Int] ?? [] == tensor.shape, "\(name) tensor \(t) shape")
                #expect(jsonTensor["type"] as? String == tensor.type.schemaName, "\(name) tensor \(t) type")
                #expect(jsonTensor["buffer"] as? Int == tensor.buffer, "\(name) tensor \(t) buffer")
                #expect(jsonTensor["name"] as? String == tensor.name, "\(name) tensor \(t) name")
                let q = jsonTensor["quantization"] as? [String: Any]
                let scales = (q?["scale"] as? [Double]) ?? []
                let zeroPoints = (q?["zero_point"] as? [Int]) ?? []
                if let parameters = tensor.quantization {
                    #expect(scales.count == parameters.scales.count, "\(name) tensor \(t) scale count")
                    // flatc prints floats with 6 decimals: agree to half a unit of the last one.
                    let agree = zip(scales, parameters.scales).allSatisfy { a, b in abs(a - Double(b)) <= 5.01e-7 + 1e-5 * abs(a) }
                    #expect(agree, "\(name) tensor \(t) scales differ from flatc's")
                    #expect(zeroPoints == parameters.zeroPoints.map(Int.init), "\(name) tensor \(t) zero points")
                } else {
                    #expect(scales.isEmpty, "\(name) tensor \(t) has scales flatc sees but the reader does not")
                }
            }
        }
    }

    @Test(arguments: ReaderTestPaths.fixtureModels)
    func fixtureModelsReadAsFlatcReadsThem(_ url: URL) throws {
        try Self.compare(url)
    }

    @Test(.enabled(if: ReaderTestPaths.sharedExists, "../shared/models is absent: stock models skipped"),
          arguments: ReaderTestPaths.sharedModels)
    func stockModelsReadAsFlatcReadsThem(_ url: URL) throws {
        try Self.compare(url)
    }
}

import ArgumentParser
import Foundation
import TFLiteCore
import TFLiteReader

/// `tflite-run dump MODEL`: the model's structure as text, JSON or a Graphviz graph.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a model's structure: inputs, outputs, operators, tensors, metadata.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, dot
    }

    @Argument(help: "The .tflite model file.")
    var model: String

    @Option(help: "text (default), json (schema field names) or dot (Graphviz).")
    var format: Format = .text

    func run() throws {
        let parsed: Model
        do {
            parsed = try Model(contentsOf: model)
        } catch {
            throw failure("\(model): \(error.description)")
        }
        switch format {
        case .text: print(Self.text(parsed, path: model))
        case .json: print(Self.json(parsed))
        case .dot: print(Self.dot(parsed))
        }
    }

    // MARK: text

    static func text(_ model: Model, path: String) -> String {
        var lines: [String] = []
        lines.append("model:        \(path) (\(model.bytes.bytes.count) bytes)")
        lines.append("schema:       version \(model.version)\(model.description.map { ", \"\($0)\"" } ?? "")")
        lines.append("subgraphs:    \(model.subgraphs.count)   buffers: \(model.buffers.count)   operator codes: \(model.operatorCodes.count)")
        for (s, subgraph) in model.subgraphs.enumerated() {
            lines.append("")
            lines.append("subgraph \(s)\(subgraph.name.map { " \"\($0)\"" } ?? ""): \(subgraph.tensors.count) tensors, \(subgraph.operators.count) operators")
            for (label, list) in [("input", subgraph.inputs), ("output", subgraph.outputs)] {
                for (i, t) in list.enumerated() {
                    let tensor = subgraph.tensors[t]
                    let q = ModelSummary.quantization(tensor.quantization)
                    lines.append("  \(label) \(i): tensor \(t) \"\(tensor.name)\" \(ModelSummary.describe(tensor))\(q.isEmpty ? "" : "  (\(q))")")
                }
            }
            lines.append("")
            lines.append("  " + pad("#", 4) + pad("operator", 20) + pad("inputs → outputs", 70) + "options")
            var totalMacs = 0
            for (o, op) in subgraph.operators.enumerated() {
                let ins = op.inputs.filter { $0 >= 0 }.map { ModelSummary.describe(subgraph.tensors[$0]) }.joined(separator: " ")
                let outs = op.outputs.map { ModelSummary.describe(subgraph.tensors[$0]) }.joined(separator: " ")
                let options = ModelSummary.options(op).map { "\($0.0)=\($0.1)" }.joined(separator: " ")
                let macs = ModelSummary.macs(op, in: subgraph)
                totalMacs += macs
                let name = op.customCode.map { "CUSTOM(\($0))" } ?? op.builtin.name
                lines.append("  " + pad("\(o)", 4) + pad(name, 20) + pad("\(ins) → \(outs)", 70) + options + (macs > 0 ? "  macs=\(macs)" : ""))
            }
            var counts: [String: Int] = [:]
            for op in subgraph.operators { counts[op.customCode ?? op.builtin.name, default: 0] += 1 }
            lines.append("")
            lines.append("  operator counts: " + counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            lines.append("  parameters: \(ModelSummary.parameterCount(model, subgraph))   multiply-accumulates: \(totalMacs)")
            lines.append("")
            lines.append("  tensors:")
            for (t, tensor) in subgraph.tensors.enumerated() {
                let constant = model.constantData(of: tensor) != nil ? " const" : ""
                let q = ModelSummary.quantization(tensor.quantization)
                lines.append("    " + pad("\(t)", 5) + pad(ModelSummary.describe(tensor) + constant, 30) + pad(q, 44) + tensor.name)
            }
        }
        if !model.metadata.isEmpty {
            lines.append("")
            lines.append("metadata: " + model.metadata.map { "\($0.name) (\(model.data(ofBuffer: $0.buffer).count) bytes)" }.joined(separator: ", "))
        }
        for signature in model.signatureDefs {
            lines.append("signature \"\(signature.key)\": inputs \(signature.inputs.map { "\($0.name)=\($0.tensor)" }) outputs \(signature.outputs.map { "\($0.name)=\($0.tensor)" })")
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    // MARK: json

    static func json(_ model: Model) -> String {
        var totalMacs = 0, totalParameters = 0
        let subgraphs: [[String: Any]] = model.subgraphs.map { subgraph in
            totalParameters += ModelSummary.parameterCount(model, subgraph)
            let tensors: [[String: Any]] = subgraph.tensors.enumerated().map { t, tensor in
                var entry: [String: Any] = ["index": t, "name": tensor.name, "shape": tensor.shape, "type": tensor.type.schemaName,
                                            "buffer": tensor.buffer, "is_variable": tensor.isVariable]
                if let signature = tensor.shapeSignature { entry["shape_signature"] = signature }
                if let q = tensor.quantization {
                    entry["quantization"] = ["scale": q.scales.map(Double.init), "zero_point": q.zeroPoints.map(Int.init),
                                             "quantized_dimension": q.quantizedDimension]
                }
                return entry
            }
            let operators: [[String: Any]] = subgraph.operators.enumerated().map { o, op in
                let macs = ModelSummary.macs(op, in: subgraph)
                totalMacs += macs
                var entry: [String: Any] = ["index": o, "opcode": op.builtin.name, "inputs": op.inputs, "outputs": op.outputs,
                                            "version": model.operatorCodes[op.opcodeIndex].version,
                                            "options": Dictionary(uniqueKeysWithValues: ModelSummary.options(op)), "macs": macs]
                if let custom = op.customCode { entry["custom_code"] = custom }
                return entry
            }
            var entry: [String: Any] = ["inputs": subgraph.inputs, "outputs": subgraph.outputs, "tensors": tensors, "operators": operators]
            if let name = subgraph.name { entry["name"] = name }
            return entry
        }
        var object: [String: Any] = [
            "version": Int(model.version), "subgraphs": subgraphs, "buffers": model.buffers.count,
            "buffer_sizes": model.buffers.map(\.range.count),
            "metadata": model.metadata.map(\.name),
            "signature_defs": model.signatureDefs.map { s in
                ["signature_key": s.key, "subgraph_index": s.subgraphIndex,
                 "inputs": s.inputs.map { ["name": $0.name, "tensor_index": $0.tensor] }, "outputs": s.outputs.map { ["name": $0.name, "tensor_index": $0.tensor] }] as [String: Any]
            },
            "operator_codes": model.operatorCodes.map { ["builtin_code": $0.builtin.name, "version": $0.version, "custom_code": $0.customCode ?? NSNull()] as [String: Any] },
            "totals": ["parameters": totalParameters, "macs": totalMacs],
        ]
        if let description = model.description { object["description"] = description }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: dot

    static func dot(_ model: Model) -> String {
        guard let subgraph = model.subgraphs.first else { return "digraph model {}" }
        func quote(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines = ["digraph model {", "  rankdir=TB;", "  node [fontname=\"Helvetica\", fontsize=10];"]
        var shown = Set<Int>()
        func tensorNode(_ t: Int) {
            guard !shown.contains(t) else { return }
            shown.insert(t)
            let tensor = subgraph.tensors[t]
            let role = subgraph.inputs.contains(t) ? ", style=filled, fillcolor=\"#d8ecff\"" : subgraph.outputs.contains(t) ? ", style=filled, fillcolor=\"#dff5d8\"" : ""
            lines.append("  t\(t) [shape=ellipse, label=\(quote("\(tensor.name)\n\(ModelSummary.describe(tensor))"))\(role)];")
        }
        for (o, op) in subgraph.operators.enumerated() {
            let constants = op.inputs.filter { $0 >= 0 && model.constantData(of: subgraph.tensors[$0]) != nil }
                .map { ModelSummary.describe(subgraph.tensors[$0]) }
            let name = op.customCode.map { "CUSTOM \($0)" } ?? op.builtin.name
            let label = "#\(o) \(name)" + (constants.isEmpty ? "" : "\n" + constants.joined(separator: "\n"))
            lines.append("  op\(o) [shape=box, style=filled, fillcolor=\"#f3f3f3\", label=\(quote(label))];")
            for t in op.inputs where t >= 0 && model.constantData(of: subgraph.tensors[t]) == nil {
                tensorNode(t)
                lines.append("  t\(t) -> op\(o);")
            }
            for t in op.outputs {
                tensorNode(t)
                lines.append("  op\(o) -> t\(t);")
            }
        }
        for t in subgraph.inputs + subgraph.outputs { tensorNode(t) }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}

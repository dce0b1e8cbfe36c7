import Foundation
import TFLite
import TFLiteReader

/// Runs a float model and its quantized version on the same images and accumulates how they
/// differ: accuracy against ground truth, agreement, output error and per-layer error.
struct ModelComparison {
    let float: Interpreter
    let quantized: Interpreter
    let perLayer: Bool
    let preprocessing: PreprocessingOptions
    /// (float tensor, quantized tensor, name) pairs compared with --per-layer.
    let layerPairs: [(float: Int, quantized: Int, name: String)]

    init(floatPath: String, quantizedPath: String, threads: Int, perLayer: Bool, preprocessing: PreprocessingOptions) throws {
        let options = Interpreter.Options(threadCount: threads, preserveAllTensors: perLayer)
        float = try Interpreter(modelPath: floatPath, options: options)
        quantized = try Interpreter(modelPath: quantizedPath, options: options)
        try float.allocateTensors()
        try quantized.allocateTensors()
        self.perLayer = perLayer
        self.preprocessing = preprocessing
        layerPairs = perLayer ? Self.matchLayers(float.model, quantized.model) : []
    }

    struct Report {
        var images = 0
        var skipped: [String] = []
        var withTruth = 0
        var floatTop1 = 0, floatTop5 = 0, quantTop1 = 0, quantTop5 = 0
        var top1Agreement = 0
        var top5Overlap = 0.0
        var absErrorSum = 0.0, absErrorCount = 0, maxAbs = 0.0
        var cosineSum = 0.0
        var layers: [String: LayerError] = [:]
        var layerOrder: [String] = []

        struct LayerError {
            var squaredSum = 0.0
            var count = 0
            var maxAbs = 0.0
            var rmse: Double { count > 0 ? (squaredSum / Double(count)).squareRoot() : 0 }
        }

        func ratio(_ n: Int, _ d: Int) -> Double? { d > 0 ? Double(n) / Double(d) : nil }

        func text() -> String {
            func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a (no ground truth)" }
            var lines = ["images evaluated:   \(images)" + (skipped.isEmpty ? "" : " (\(skipped.count) unreadable skipped)")]
            lines.append("with ground truth:  \(withTruth)")
            lines.append("float      top-1 \(percent(ratio(floatTop1, withTruth)))  top-5 \(percent(ratio(floatTop5, withTruth)))")
            lines.append("quantized  top-1 \(percent(ratio(quantTop1, withTruth)))  top-5 \(percent(ratio(quantTop5, withTruth)))")
            lines.append("top-1 agreement:    \(percent(ratio(top1Agreement, images)))")
            lines.append(String(format: "top-5 overlap:      %.2f%%", images > 0 ? top5Overlap / Double(images) * 100 : 0))
            lines.append(String(format: "output error:       mean abs %.6f  max abs %.6f  cosine %.6f",
                                absErrorCount > 0 ? absErrorSum / Double(absErrorCount) : 0, maxAbs, images > 0 ? cosineSum / Double(images) : 0))
            if !layers.isEmpty {
                lines.append("\nper-layer error (dequantized quantized tensor vs float), worst RMSE first:")
                for name in layerOrder.sorted(by: { (layers[$0]?.rmse ?? 0) > (layers[$1]?.rmse ?? 0) }) {
                    guard let e = layers[name] else { continue }
                    lines.append(String(format: "  %10.6f rmse  %10.6f max  ", e.rmse, e.maxAbs) + name)
                }
            }
            return lines.joined(separator: "\n")
        }

        func json() -> String {
            var object: [String: Any] = [
                "images": images, "skipped": skipped.count, "with_ground_truth": withTruth,
                "float": ["top1": ratio(floatTop1, withTruth) as Any, "top5": ratio(floatTop5, withTruth) as Any],
                "quantized": ["top1": ratio(quantTop1, withTruth) as Any, "top5": ratio(quantTop5, withTruth) as Any],
                "top1_agreement": ratio(top1Agreement, images) as Any,
                "top5_overlap": images > 0 ? top5Overlap / Double(images) : 0,
                "output": ["mean_abs": absErrorCount > 0 ? absErrorSum / Double(absErrorCount) : 0, "max_abs": maxAbs,
                           "cosine": images > 0 ? cosineSum / Double(images) : 0],
            ]
            if !layers.isEmpty {
                object["layers"] = layerOrder.sorted(by: { (layers[$0]?.rmse ?? 0) > (layers[$1]?.rmse ?? 0) }).compactMap { name in
                    layers[name].map { ["name": name, "rmse": $0.rmse, "max_abs": $0.maxAbs] as [String: Any] }
                }
            }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"<null>\"", with: "null")
        }
    }

    func run(imagesDirectory: String, labelsPath: String?, limit: Int?, progress: Bool) throws -> Report {
        let labels = try labelsPath.map(LabelFile.read) ?? ModelLabelsBridge.labels(float.model) ?? ModelLabelsBridge.labels(quantized.model) ?? []
        var files = ImageFiles.list(imagesDirectory)
        guard !files.isEmpty else { throw CLIError("no images (JPEG, PNG, BMP) under \(imagesDirectory)") }
        if let limit { files = Array(files.prefix(limit)) }
        var report = Report()
        report.layerOrder = layerPairs.map(\.name)
        for (n, file) in files.enumerated() {
            if progress { ProgressBar.draw(n, files.count) }
            let floatInput: Data, quantInput: Data
            do {
                floatInput = try ImageInputBridge.inputBytes(imagePath: file, interpreter: float, preprocessing: preprocessing)
                quantInput = try ImageInputBridge.inputBytes(imagePath: file, interpreter: quantized, preprocessing: preprocessing)
            } catch {
                report.skipped.append(file)
                continue
            }
            try float.copy(floatInput, toInputAt: 0)
            try quantized.copy(quantInput, toInputAt: 0)
            try float.invoke()
            try quantized.invoke()
            let f = TopK.dequantized(try float.output(at: 0))
            let q = TopK.dequantized(try quantized.output(at: 0))
            guard f.count == q.count, !f.isEmpty else {
                throw CLIError("the models' outputs differ in size (\(f.count) and \(q.count) values)")
            }
            report.images += 1
            let fTop = Self.top(f, 5), qTop = Self.top(q, 5)
            if let truth = Self.groundTruth(file, root: imagesDirectory, labels: labels, classes: f.count) {
                report.withTruth += 1
                if fTop.first == truth { report.floatTop1 += 1 }
                if fTop.contains(truth) { report.floatTop5 += 1 }
                if qTop.first == truth { report.quantTop1 += 1 }
                if qTop.contains(truth) { report.quantTop5 += 1 }
            }
            if fTop.first == qTop.first { report.top1Agreement += 1 }
            report.top5Overlap += Double(Set(fTop).intersection(qTop).count) / Double(max(1, min(5, f.count)))
            var dot = 0.0, ff = 0.0, qq = 0.0
            for i in f.indices {
                let d = abs(Double(f[i]) - Double(q[i]))
                report.absErrorSum += d
                report.maxAbs = max(report.maxAbs, d)
                dot += Double(f[i]) * Double(q[i]); ff += Double(f[i]) * Double(f[i]); qq += Double(q[i]) * Double(q[i])
            }
            report.absErrorCount += f.count
            report.cosineSum += ff > 0 && qq > 0 ? dot / (ff.squareRoot() * qq.squareRoot()) : (ff == qq ? 1 : 0)
            for pair in layerPairs {
                let a = TopK.dequantized(try float.tensor(at: pair.float))
                let b = TopK.dequantized(try quantized.tensor(at: pair.quantized))
                guard a.count == b.count else { continue }
                var e = report.layers[pair.name] ?? Report.LayerError()
                for i in a.indices {
                    let d = Double(a[i]) - Double(b[i])
                    e.squaredSum += d * d
                    e.maxAbs = max(e.maxAbs, abs(d))
                }
                e.count += a.count
                report.layers[pair.name] = e
            }
        }
        if progress { ProgressBar.finish() }
        return report
    }

    static func top(_ values: [Float], _ k: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(k))
    }

    /// The class a file's parent folder names: an integer index, or a label (case-insensitive).
    static func groundTruth(_ file: String, root: String, labels: [String], classes: Int) -> Int? {
        let parent = URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path
        guard parent != URL(fileURLWithPath: root).standardizedFileURL.path else { return nil }
        let name = URL(fileURLWithPath: parent).lastPathComponent
        if let index = Int(name), index >= 0, index < classes { return index }
        let lowered = name.lowercased()
        return labels.firstIndex { $0.lowercased() == lowered }
    }

    /// Tensors written by an operator in both models: by name, else by position among the
    /// outputs of operators of the same type (QUANTIZE and DEQUANTIZE set aside).
    static func matchLayers(_ float: Model, _ quantized: Model) -> [(float: Int, quantized: Int, name: String)] {
        guard let fg = float.subgraphs.first, let qg = quantized.subgraphs.first else { return [] }
        let skip: Set<BuiltinOperator> = [.quantize, .dequantize]
        let fOutputs = fg.operators.filter { !skip.contains($0.builtin) }.flatMap { op in op.outputs.map { (op.builtin, $0) } }
        let qOutputs = qg.operators.filter { !skip.contains($0.builtin) }.flatMap { op in op.outputs.map { (op.builtin, $0) } }
        var qByName: [String: Int] = [:]
        for (_, t) in qOutputs { qByName[qg.tensors[t].name] = t }
        var pairs: [(float: Int, quantized: Int, name: String)] = []
        var used = Set<Int>()
        for (_, t) in fOutputs {
            if let q = qByName[fg.tensors[t].name], fg.tensors[t].elementCount == qg.tensors[q].elementCount {
                pairs.append((t, q, fg.tensors[t].name))
                used.insert(q)
            }
        }
        if pairs.isEmpty, fOutputs.count == qOutputs.count {
            for (f, q) in zip(fOutputs, qOutputs) where f.0 == q.0 && fg.tensors[f.1].elementCount == qg.tensors[q.1].elementCount && !used.contains(q.1) {
                pairs.append((f.1, q.1, fg.tensors[f.1].name))
            }
        }
        return pairs
    }
}

/// The image files under a folder, recursively, in a stable order.
enum ImageFiles {
    static let extensions: Set<String> = ["jpg", "jpeg", "png", "bmp"]

    static func list(_ directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let item = enumerator.nextObject() as? String {
            if extensions.contains((item as NSString).pathExtension.lowercased()) {
                files.append((directory as NSString).appendingPathComponent(item))
            }
        }
        return files.sorted()
    }
}

/// A one-line progress bar on standard error (only when it is a terminal).
enum ProgressBar {
    static func draw(_ done: Int, _ total: Int) {
        let width = 30
        let filled = total > 0 ? width * done / total : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
    }

    static func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

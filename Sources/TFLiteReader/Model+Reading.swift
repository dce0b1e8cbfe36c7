import CTFLiteVerifier
import Foundation
import TFLiteCore

extension Model {
    /// Flatbuffers cannot address more than 2 GiB; larger models keep their data after the
    /// flatbuffer, which this limit also bounds by default.
    public static let defaultSizeLimit = 2 << 30

    /// Reads and verifies the model file at `path`. Files over `sizeLimit` bytes are refused
    /// before anything is allocated. The file is mapped read-only (see `ModelBytes`): do not
    /// rewrite it while the model is in use.
    public init(contentsOf path: String, sizeLimit: Int = Model.defaultSizeLimit) throws(ModelError) {
        try self.init(bytes: ModelBytes(contentsOf: path, limit: sizeLimit))
    }

    /// Reads and verifies a model held in memory (the bytes are copied once, aligned).
    public init(data: some DataProtocol) throws(ModelError) {
        try self.init(bytes: ModelBytes(data))
    }

    /// Verifies `bytes` and reads the model they hold, without copying constant data.
    public init(bytes: ModelBytes) throws(ModelError) {
        let raw = bytes.bytes
        guard !raw.isEmpty else { throw .empty }
        guard raw.count >= 8 else { throw .truncated(bytes: raw.count) }
        guard let base = raw.baseAddress else { throw .empty }
        switch tflite_verify_model(base.assumingMemoryBound(to: UInt8.self), raw.count) {
        case TFLITE_VERIFY_OK: break
        case TFLITE_VERIFY_BAD_SIZE: throw .tooLarge(bytes: raw.count, limit: Int(Int32.max))
        case TFLITE_VERIFY_BAD_IDENTIFIER:
            let id = raw[4..<8].map { (32...126).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }
            throw .wrongIdentifier(found: "\"" + id.joined() + "\"")
        default:
            throw .corrupt("the flatbuffer verifier rejected it (a truncated or damaged file)")
        }
        self = try ModelParser(view: FlatBufferView(bytes: raw), bytes: bytes).parse()
    }
}

/// Turns a verified flatbuffer into `Model` values, checking the model's meaning as it goes.
private struct ModelParser {
    let view: FlatBufferView
    let bytes: ModelBytes

    // Field ids of the schema's tables (vtable slots), in schema order.
    enum ModelField { static let version = 0, operatorCodes = 1, subgraphs = 2, description = 3, buffers = 4, metadata = 6, signatureDefs = 7 }
    enum OperatorCodeField { static let deprecatedBuiltinCode = 0, customCode = 1, version = 2, builtinCode = 3 }
    enum SubgraphField { static let tensors = 0, inputs = 1, outputs = 2, operators = 3, name = 4 }
    enum TensorField { static let shape = 0, type = 1, buffer = 2, name = 3, quantization = 4, isVariable = 5, sparsity = 6, shapeSignature = 7 }
    enum QuantizationField { static let scale = 2, zeroPoint = 3, quantizedDimension = 6 }
    enum OperatorField { static let opcodeIndex = 0, inputs = 1, outputs = 2, builtinOptionsType = 3, builtinOptions = 4, intermediates = 8 }
    enum BufferField { static let data = 0, offset = 1, size = 2 }
    enum MetadataField { static let name = 0, buffer = 1 }
    enum TensorMapField { static let name = 0, tensorIndex = 1 }
    enum SignatureField { static let inputs = 0, outputs = 1, key = 2, subgraphIndex = 4 }

    func parse() throws(ModelError) -> Model {
        let root = try view.root()
        let buffers = try root.tables(ModelField.buffers).map { (t) throws(ModelError) in try parseBuffer(t) }
        let codes = try root.tables(ModelField.operatorCodes).map { (t) throws(ModelError) in try parseOperatorCode(t) }
        let subgraphTables = try root.tables(ModelField.subgraphs)
        guard !subgraphTables.isEmpty else { throw .noSubgraphs }
        var subgraphs: [Model.Subgraph] = []
        for (index, table) in subgraphTables.enumerated() {
            subgraphs.append(try parseSubgraph(table, index: index, codes: codes, buffers: buffers))
        }
        var metadata: [Model.Metadata] = []
        for table in try root.tables(ModelField.metadata) {
            let buffer = Int(try table.scalar(MetadataField.buffer, default: UInt32(0)))
            guard buffer < buffers.count else { throw .indexOutOfRange(what: "metadata buffer", index: buffer, count: buffers.count) }
            metadata.append(Model.Metadata(name: try table.string(MetadataField.name) ?? "", buffer: buffer))
        }
        var signatures: [Model.SignatureDef] = []
        for table in try root.tables(ModelField.signatureDefs) {
            let subgraph = Int(try table.scalar(SignatureField.subgraphIndex, default: UInt32(0)))
            guard subgraph < subgraphs.count else {
                throw .indexOutOfRange(what: "signature subgraph", index: subgraph, count: subgraphs.count)
            }
            let tensorCount = subgraphs[subgraph].tensors.count
            func maps(_ field: Int) throws(ModelError) -> [(name: String, tensor: Int)] {
                var result: [(name: String, tensor: Int)] = []
                for map in try table.tables(field) {
                    let tensor = Int(try map.scalar(TensorMapField.tensorIndex, default: UInt32(0)))
                    guard tensor < tensorCount else { throw .indexOutOfRange(what: "signature tensor", index: tensor, count: tensorCount) }
                    result.append((try map.string(TensorMapField.name) ?? "", tensor))
                }
                return result
            }
            signatures.append(Model.SignatureDef(
                key: try table.string(SignatureField.key) ?? "", subgraphIndex: subgraph,
                inputs: try maps(SignatureField.inputs), outputs: try maps(SignatureField.outputs)))
        }
        return Model(
            version: try root.scalar(ModelField.version, default: UInt32(0)),
            description: try root.string(ModelField.description),
            operatorCodes: codes, subgraphs: subgraphs, buffers: buffers,
            metadata: metadata, signatureDefs: signatures, bytes: bytes)
    }

    func parseBuffer(_ table: FlatTable) throws(ModelError) -> Model.Buffer {
        if let data = try table.vector(BufferField.data, elementSize: 1), data.count > 0 {
            return Model.Buffer(range: data.byteRange, isExternal: false)
        }
        let offset = try table.scalar(BufferField.offset, default: UInt64(0))
        let size = try table.scalar(BufferField.size, default: UInt64(0))
        // The offset/size form is valid only for offset > 1 (TFLite's convention).
        guard offset > 1 else { return Model.Buffer(range: 0..<0, isExternal: false) }
        guard offset <= UInt64(view.count), size <= UInt64(view.count) - offset else {
            throw .corrupt("buffer at offset \(offset) of \(size) bytes lies outside the \(view.count)-byte file")
        }
        return Model.Buffer(range: Int(offset)..<Int(offset + size), isExternal: true)
    }

    func parseOperatorCode(_ table: FlatTable) throws(ModelError) -> Model.OperatorCode {
        let deprecated = Int32(try table.scalar(OperatorCodeField.deprecatedBuiltinCode, default: Int8(0)))
        let code = try table.scalar(OperatorCodeField.builtinCode, default: Int32(0))
        return Model.OperatorCode(
            builtin: BuiltinOperator(rawValue: max(deprecated, code)),
            customCode: try table.string(OperatorCodeField.customCode),
            version: Int(try table.scalar(OperatorCodeField.version, default: Int32(1))))
    }

    func parseSubgraph(_ table: FlatTable, index: Int, codes: [Model.OperatorCode], buffers: [Model.Buffer]) throws(ModelError) -> Model.Subgraph {
        var tensors: [Model.Tensor] = []
        for (t, tensorTable) in try table.tables(SubgraphField.tensors).enumerated() {
            tensors.append(try parseTensor(tensorTable, subgraph: index, index: t, buffers: buffers))
        }
        func checkedTensorList(_ list: [Int]?, what: String, allowOmitted: Bool) throws(ModelError) -> [Int] {
            let list = list ?? []
            for value in list where !(value >= 0 && value < tensors.count) && !(allowOmitted && value == -1) {
                throw .indexOutOfRange(what: "subgraph \(index) \(what) tensor", index: value, count: tensors.count)
            }
            return list
        }
        let inputs = try checkedTensorList(table.int32s(SubgraphField.inputs), what: "input", allowOmitted: false)
        let outputs = try checkedTensorList(table.int32s(SubgraphField.outputs), what: "output", allowOmitted: false)
        var operators: [Model.Operator] = []
        for (o, opTable) in try table.tables(SubgraphField.operators).enumerated() {
            let opcode = Int(try opTable.scalar(OperatorField.opcodeIndex, default: UInt32(0)))
            guard opcode < codes.count else {
                throw .indexOutOfRange(what: "subgraph \(index) operator \(o) opcode", index: opcode, count: codes.count)
            }
            let code = codes[opcode]
            let optionsType = try opTable.scalar(OperatorField.builtinOptionsType, default: UInt8(0))
            let optionsTable = try opTable.table(OperatorField.builtinOptions)
            guard let options = try OperatorOptionsReader.read(code.builtin, type: optionsType, table: optionsTable) else {
                throw .invalidOperator(subgraph: index, operator: o,
                                       reason: "\(code.builtin.name) carries options of union type \(optionsType), not its own")
            }
            operators.append(Model.Operator(
                opcodeIndex: opcode, builtin: code.builtin, customCode: code.customCode,
                inputs: try checkedTensorList(opTable.int32s(OperatorField.inputs), what: "operator \(o) input", allowOmitted: true),
                outputs: try checkedTensorList(opTable.int32s(OperatorField.outputs), what: "operator \(o) output", allowOmitted: false),
                options: options, builtinOptionsType: optionsType,
                intermediates: try checkedTensorList(opTable.int32s(OperatorField.intermediates), what: "operator \(o) intermediate", allowOmitted: true)))
        }
        return Model.Subgraph(name: try table.string(SubgraphField.name), tensors: tensors, inputs: inputs, outputs: outputs, operators: operators)
    }

    func parseTensor(_ table: FlatTable, subgraph: Int, index: Int, buffers: [Model.Buffer]) throws(ModelError) -> Model.Tensor {
        func invalid(_ reason: String) -> ModelError { .invalidTensor(subgraph: subgraph, tensor: index, reason: reason) }
        let rawType = try table.scalar(TensorField.type, default: Int8(0))
        guard let type = DataType(rawValue: rawType) else { throw invalid("unknown tensor type \(rawType)") }
        let shape = try table.int32s(TensorField.shape) ?? []
        guard shape.allSatisfy({ $0 >= 0 }) else { throw invalid("negative dimension in shape \(shape)") }
        var elements = 1
        for dim in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= Int(Int32.max) * 16 else { throw invalid("shape \(shape) has too many elements") }
            elements = product
        }
        let signature = try table.int32s(TensorField.shapeSignature)
        if let signature {
            guard signature.count == shape.count, signature.allSatisfy({ $0 >= -1 }) else {
                throw invalid("shape_signature \(signature) does not match shape \(shape)")
            }
        }
        let buffer = Int(try table.scalar(TensorField.buffer, default: UInt32(0)))
        guard buffer < buffers.count else {
            throw .indexOutOfRange(what: "subgraph \(subgraph) tensor \(index) buffer", index: buffer, count: buffers.count)
        }
        let dataSize = buffers[buffer].range.count
        if dataSize > 0, let elementSize = type.byteSize {
            let (expected, overflow) = elements.multipliedReportingOverflow(by: elementSize)
            guard !overflow, expected == dataSize else {
                throw invalid("constant buffer \(buffer) holds \(dataSize) bytes, shape \(shape) of \(type.schemaName) needs \(expected)")
            }
        }
        let name = try table.string(TensorField.name) ?? ""
        var quantization: QuantizationParameters?
        if let q = try table.table(TensorField.quantization) {
            quantization = try parseQuantization(q, shape: shape, subgraph: subgraph, index: index)
        }
        return Model.Tensor(
            name: name, shape: shape, shapeSignature: signature, type: type, buffer: buffer,
            quantization: quantization,
            isVariable: try table.bool(TensorField.isVariable, default: false),
            isSparse: try table.table(TensorField.sparsity) != nil)
    }

    func parseQuantization(_ table: FlatTable, shape: [Int], subgraph: Int, index: Int) throws(ModelError) -> QuantizationParameters? {
        func invalid(_ reason: String) -> ModelError { .invalidQuantization(subgraph: subgraph, tensor: index, reason: reason) }
        guard let scaleVector = try table.vector(QuantizationField.scale, elementSize: 4), scaleVector.count > 0 else { return nil }
        var scales: [Float] = []
        scales.reserveCapacity(scaleVector.count)
        for i in 0..<scaleVector.count { scales.append(try scaleVector.float(at: i)) }
        var zeroPoints: [Int64] = []
        if let zp = try table.vector(QuantizationField.zeroPoint, elementSize: 8) {
            zeroPoints.reserveCapacity(zp.count)
            for i in 0..<zp.count { zeroPoints.append(try zp.scalar(Int64.self, at: i)) }
        }
        guard zeroPoints.count == scales.count else {
            throw invalid("\(scales.count) scales but \(zeroPoints.count) zero points")
        }
        guard scales.allSatisfy({ $0.isFinite }) else { throw invalid("a scale is not finite") }
        var dimension = Int(try table.scalar(QuantizationField.quantizedDimension, default: Int32(0)))
        if scales.count > 1, shape.count == 1, dimension >= 1, shape[0] == scales.count {
            // A per-channel 1-D tensor (a bias) carrying its weights' quantized_dimension, as
            // TFLite Micro's person detector does: the only dimension is the channel one.
            dimension = 0
        }
        if scales.count > 1 {
            // Per-channel: the arrays must run along a real dimension of matching size. A single
            // (per-tensor) scale with a stale quantized_dimension is tolerated, as TFLite Micro does.
            guard dimension >= 0, dimension < shape.count else {
                throw invalid("quantized_dimension \(dimension) is outside rank \(shape.count)")
            }
            guard shape[dimension] == scales.count else {
                throw invalid("\(scales.count) scales for dimension \(dimension) of size \(shape[dimension])")
            }
        }
        return QuantizationParameters(scales: scales, zeroPoints: zeroPoints, quantizedDimension: dimension)
    }
}

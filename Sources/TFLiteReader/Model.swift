import TFLiteCore

/// A verified TFLite model: its graph as Swift values, its constant data as zero-copy views of
/// the file's bytes.
///
/// Reading runs flatbuffers' verifier first (as TFLite does), then checks the model's meaning:
/// every index in range, shapes whose element counts cannot overflow, constant buffers whose
/// sizes match their tensors, quantization arrays of consistent length.
public struct Model: Sendable {
    /// Schema version (3 for every current model).
    public let version: UInt32
    /// The converter's description, e.g. "TOCO Converted." or "MLIR Converted.".
    public let description: String?
    /// The distinct operators the model uses; `Operator.opcodeIndex` points in here.
    public let operatorCodes: [OperatorCode]
    /// The subgraphs; the first is the main graph.
    public let subgraphs: [Subgraph]
    /// The constant-data buffers; buffer 0 is the empty sentinel.
    public let buffers: [Buffer]
    /// Named metadata entries (e.g. "TFLITE_METADATA", "min_runtime_version").
    public let metadata: [Metadata]
    /// Named entry points (from a SavedModel's signatures).
    public let signatureDefs: [SignatureDef]
    /// The file's bytes, which the buffers point into.
    public let bytes: ModelBytes

    /// One entry of the operator-code table.
    public struct OperatorCode: Equatable, Sendable {
        /// The builtin operator: the larger of the file's `deprecated_builtin_code` and
        /// `builtin_code`, as TFLite resolves it.
        public let builtin: BuiltinOperator
        /// The custom op's name when `builtin` is CUSTOM.
        public let customCode: String?
        /// The op version the converter required.
        public let version: Int
    }

    /// A graph of tensors and operators.
    public struct Subgraph: Sendable {
        public let name: String?
        public let tensors: [Tensor]
        /// Tensor indices of the graph's inputs.
        public let inputs: [Int]
        /// Tensor indices of the graph's outputs.
        public let outputs: [Int]
        /// Operators in execution order.
        public let operators: [Operator]
    }

    /// A tensor's declaration.
    public struct Tensor: Sendable {
        public let name: String
        /// The static shape (every dimension ≥ 0).
        public let shape: [Int]
        /// The shape with −1 for dimensions that may change (batch, resolution), when the
        /// converter recorded it.
        public let shapeSignature: [Int]?
        public let type: DataType
        /// Index into `Model.buffers`; a buffer with data makes the tensor constant.
        public let buffer: Int
        /// Quantization parameters, when the tensor has at least one scale.
        public let quantization: QuantizationParameters?
        public let isVariable: Bool
        /// True when the tensor is stored sparse (no kernel here reads that).
        public let isSparse: Bool

        /// Number of elements: the product of `shape` (checked not to overflow at read time).
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// An operator instance.
    public struct Operator: Sendable {
        public let opcodeIndex: Int
        /// The resolved builtin operator.
        public let builtin: BuiltinOperator
        /// The custom op's name when `builtin` is CUSTOM.
        public let customCode: String?
        /// Input tensor indices; −1 marks an omitted optional input.
        public let inputs: [Int]
        public let outputs: [Int]
        /// Typed options for the ops this package knows; `.none` otherwise.
        public let options: OperatorOptions
        /// The schema's union type code of the builtin options (0 when there are none).
        public let builtinOptionsType: UInt8
        public let intermediates: [Int]
    }

    /// A constant-data buffer.
    public struct Buffer: Sendable {
        /// Byte range in `Model.bytes`; empty when the buffer holds no data.
        public let range: Range<Int>
        /// True when the data sits after the flatbuffer (the offset/size form of large models).
        public let isExternal: Bool
    }

    /// A named metadata entry pointing at a buffer.
    public struct Metadata: Sendable {
        public let name: String
        public let buffer: Int
    }

    /// A named entry point.
    public struct SignatureDef: Sendable {
        public let key: String
        public let subgraphIndex: Int
        /// (name, tensor index) pairs.
        public let inputs: [(name: String, tensor: Int)]
        public let outputs: [(name: String, tensor: Int)]
    }

    /// The bytes of a buffer (empty for the sentinel and for non-constant tensors).
    public func data(ofBuffer index: Int) -> UnsafeRawBufferPointer {
        guard buffers.indices.contains(index) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes.bytes[buffers[index].range])
    }

    /// The constant data of a tensor, or nil when the tensor is computed at run time.
    public func constantData(of tensor: Tensor) -> UnsafeRawBufferPointer? {
        let data = data(ofBuffer: tensor.buffer)
        return data.isEmpty ? nil : data
    }

    /// The bytes of the metadata entry named `name`, if present.
    public func metadata(named name: String) -> UnsafeRawBufferPointer? {
        guard let entry = metadata.first(where: { $0.name == name }) else { return nil }
        return data(ofBuffer: entry.buffer)
    }
}

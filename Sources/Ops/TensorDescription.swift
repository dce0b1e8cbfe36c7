import TFLiteCore

/// What a kernel knows of a tensor at prepare time: type, shape, quantization, and the data when
/// it is constant (a weight from the model, or a value the interpreter folded at prepare time).
package struct TensorDescription {
    package var type: DataType
    package var shape: [Int]
    package var quantization: QuantizationParameters?
    /// Constant data, alive for as long as the kernel made from it.
    package var data: UnsafeRawBufferPointer?

    package init(type: DataType, shape: [Int], quantization: QuantizationParameters? = nil,
                 data: UnsafeRawBufferPointer? = nil) {
        self.type = type
        self.shape = shape
        self.quantization = quantization
        self.data = data
    }

    package var rank: Int { shape.count }

    /// The product of the dimensions. Shapes are checked against overflow where they are made.
    package var elementCount: Int { shape.reduce(1, *) }

    package var isConstant: Bool { data != nil }

    /// The constant data as typed elements (`nil` when not constant or too short).
    package func constantValues<T>(as _: T.Type) -> UnsafeBufferPointer<T>? {
        guard let data, let base = data.baseAddress else { return nil }
        let count = data.count / MemoryLayout<T>.stride
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: count)
    }

    /// A constant integer tensor (INT32 or INT64) as `[Int]`.
    package func constantIntegers() -> [Int]? {
        switch type {
        case .int32: constantValues(as: Int32.self).map { $0.map(Int.init) }
        case .int64: constantValues(as: Int64.self).map { $0.map(Int.init) }
        default: nil
        }
    }

    /// The per-tensor scale and zero point, checked: one positive, finite scale.
    package func perTensorQuantization(_ what: String) throws(OpError) -> (scale: Float, zeroPoint: Int32) {
        guard let q = quantization, q.scales.count >= 1 else { throw .invalidQuantization("\(what) has no quantization parameters") }
        let scale = q.scales[0]
        guard scale.isFinite, scale > 0 else { throw .invalidQuantization("\(what) scale \(scale) is not a positive number") }
        guard let zp = q.zeroPoints.first, let zeroPoint = Int32(exactly: zp) else {
            throw .invalidQuantization("\(what) zero point is missing or out of range")
        }
        return (scale, zeroPoint)
    }
}

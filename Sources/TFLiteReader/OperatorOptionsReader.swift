import TFLiteCore

/// Reads an operator's builtin-options table into `OperatorOptions`.
///
/// An absent table reads as the schema's defaults (so a missing SOFTMAX table gives beta 0, as
/// TFLite's zero-initialised parameters do); a table of another op's type is refused.
enum OperatorOptionsReader {
    /// The `BuiltinOptions` union codes of the tables read here.
    enum UnionType {
        static let conv2D: UInt8 = 1, depthwiseConv2D: UInt8 = 2, pool2D: UInt8 = 5, fullyConnected: UInt8 = 8
        static let softmax: UInt8 = 9, concatenation: UInt8 = 10, add: UInt8 = 11, reshape: UInt8 = 17
        static let mul: UInt8 = 21, reducer: UInt8 = 27, sub: UInt8 = 28, div: UInt8 = 29, squeeze: UInt8 = 30
        static let stridedSlice: UInt8 = 32, shape: UInt8 = 55, pack: UInt8 = 59, leakyRelu: UInt8 = 75
    }

    /// The options, or nil when the union type is neither NONE nor the op's own.
    static func read(_ op: BuiltinOperator, type: UInt8, table: FlatTable?) throws(ModelError) -> OperatorOptions? {
        func expect(_ expected: UInt8) -> FlatTable?? {
            if type == expected { return .some(table) }
            if type == 0 { return .some(nil) }
            return .none
        }
        switch op {
        case .conv2D:
            guard let t = expect(UnionType.conv2D) else { return nil }
            return .conv2D(Conv2DOptions(
                padding: try padding(t, 0), strideWidth: try int(t, 1), strideHeight: try int(t, 2),
                dilationWidth: try int(t, 4, default: 1), dilationHeight: try int(t, 5, default: 1),
                activation: try activation(t, 3)))
        case .depthwiseConv2D:
            guard let t = expect(UnionType.depthwiseConv2D) else { return nil }
            return .depthwiseConv2D(DepthwiseConv2DOptions(
                padding: try padding(t, 0), strideWidth: try int(t, 1), strideHeight: try int(t, 2),
                dilationWidth: try int(t, 5, default: 1), dilationHeight: try int(t, 6, default: 1),
                depthMultiplier: try int(t, 3), activation: try activation(t, 4)))
        case .averagePool2D, .maxPool2D, BuiltinOperator(rawValue: 12):  // 12: L2_POOL_2D
            guard let t = expect(UnionType.pool2D) else { return nil }
            return .pool2D(Pool2DOptions(
                padding: try padding(t, 0), strideWidth: try int(t, 1), strideHeight: try int(t, 2),
                filterWidth: try int(t, 3), filterHeight: try int(t, 4), activation: try activation(t, 5)))
        case .fullyConnected:
            guard let t = expect(UnionType.fullyConnected) else { return nil }
            return .fullyConnected(FullyConnectedOptions(
                activation: try activation(t, 0), weightsFormat: try t?.scalar(1, default: Int8(0)) ?? 0,
                keepNumDims: try t?.bool(2, default: false) ?? false,
                asymmetricQuantizeInputs: try t?.bool(3, default: false) ?? false))
        case .softmax:
            guard let t = expect(UnionType.softmax) else { return nil }
            return .softmax(SoftmaxOptions(beta: try t?.float(0, default: 0) ?? 0))
        case .concatenation:
            guard let t = expect(UnionType.concatenation) else { return nil }
            return .concatenation(ConcatenationOptions(axis: try int(t, 0), activation: try activation(t, 1)))
        case .add, .sub, .mul, BuiltinOperator(rawValue: 42):  // 42: DIV
            let own = op == .add ? UnionType.add : op == .sub ? UnionType.sub : op == .mul ? UnionType.mul : UnionType.div
            guard let t = expect(own) else { return nil }
            return .arithmetic(ArithmeticOptions(activation: try activation(t, 0)))
        case .reshape:
            guard let t = expect(UnionType.reshape) else { return nil }
            return .reshape(ReshapeOptions(newShape: try t?.int32s(0)))
        case .mean, BuiltinOperator(rawValue: 74), BuiltinOperator(rawValue: 81), BuiltinOperator(rawValue: 82), BuiltinOperator(rawValue: 89):
            // MEAN, SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN
            guard let t = expect(UnionType.reducer) else { return nil }
            return .reducer(ReducerOptions(keepDims: try t?.bool(0, default: false) ?? false))
        case .squeeze:
            guard let t = expect(UnionType.squeeze) else { return nil }
            return .squeeze(SqueezeOptions(squeezeDims: try t?.int32s(0) ?? []))
        case .stridedSlice:
            guard let t = expect(UnionType.stridedSlice) else { return nil }
            return .stridedSlice(StridedSliceOptions(
                beginMask: try t?.scalar(0, default: Int32(0)) ?? 0, endMask: try t?.scalar(1, default: Int32(0)) ?? 0,
                ellipsisMask: try t?.scalar(2, default: Int32(0)) ?? 0, newAxisMask: try t?.scalar(3, default: Int32(0)) ?? 0,
                shrinkAxisMask: try t?.scalar(4, default: Int32(0)) ?? 0, offset: try t?.bool(5, default: false) ?? false))
        case .shape:
            guard let t = expect(UnionType.shape) else { return nil }
            let raw = try t?.scalar(0, default: Int8(2)) ?? 2
            // An out_type left at FLOAT32 (0) by old converters means the default INT32.
            let type = DataType(rawValue: raw) ?? .int32
            return .shape(ShapeOptions(outputType: type == .int64 ? .int64 : .int32))
        case .pack:
            guard let t = expect(UnionType.pack) else { return nil }
            return .pack(PackOptions(valuesCount: try int(t, 0), axis: try int(t, 1)))
        case .leakyRelu:
            guard let t = expect(UnionType.leakyRelu) else { return nil }
            return .leakyRelu(LeakyReluOptions(alpha: try t?.float(0, default: 0) ?? 0))
        default:
            return OperatorOptions.none
        }
    }

    private static func int(_ table: FlatTable?, _ id: Int, default value: Int32 = 0) throws(ModelError) -> Int {
        Int(try table?.scalar(id, default: value) ?? value)
    }

    private static func padding(_ table: FlatTable?, _ id: Int) throws(ModelError) -> Padding {
        let raw = try table?.scalar(id, default: Int8(0)) ?? 0
        guard let value = Padding(rawValue: raw) else { throw .corrupt("unknown padding \(raw)") }
        return value
    }

    private static func activation(_ table: FlatTable?, _ id: Int) throws(ModelError) -> FusedActivation {
        let raw = try table?.scalar(id, default: Int8(0)) ?? 0
        guard let value = FusedActivation(rawValue: raw) else { throw .corrupt("unknown fused activation \(raw)") }
        return value
    }
}

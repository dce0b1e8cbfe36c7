import Testing
import Ops
import TFLiteCore

@Suite struct PadTests {
    /// Scalar reference (LiteRT's PadImpl): an output element inside every dimension's
    /// [before, before + size) window reads the input, any other is the pad value.
    static func reference(_ input: [UInt8], shape: [Int], paddings: [Int], value: [UInt8]) -> (shape: [Int], bytes: [UInt8]) {
        let size = value.count
        let outShape = shape.indices.map { shape[$0] + paddings[2 * $0] + paddings[2 * $0 + 1] }
        var out: [UInt8] = []
        for o in 0..<outShape.reduce(1, *) {
            let i = DataMovement.index(o, in: outShape)
            let j = shape.indices.map { i[$0] - paddings[2 * $0] }
            if shape.indices.allSatisfy({ j[$0] >= 0 && j[$0] < shape[$0] }) {
                out += DataMovement.element(input, DataMovement.offset(j, in: shape), size: size)
            } else {
                out += value
            }
        }
        return (outShape, out)
    }

    static func run(_ type: DataType, _ shape: [Int], _ bytes: [UInt8], paddings: [Int], paddingsType: DataType = .int32,
                    value: KernelHarness.Input? = nil, quantization q: QuantizationParameters? = nil,
                    outputQuantization: QuantizationParameters? = nil) throws(OpError) -> (shape: [Int], bytes: [UInt8]) {
        let paddingsShape = [shape.count, 2]
        let paddingsInput: KernelHarness.Input
        switch paddingsType {
        case .int64: paddingsInput = .init(.int64, paddingsShape, paddings.map { Int64($0) }, constant: true)
        case .int8: paddingsInput = .init(.int8, paddingsShape, paddings.map { Int8($0) }, constant: true)
        default: paddingsInput = .int32(paddings, shape: paddingsShape)
        }
        var inputs: [KernelHarness.Input?] = [.bytes(type, shape, bytes, quantization: q), paddingsInput]
        if let value { inputs.append(value) }
        var outputs: [TensorDescription] = []
        let out = try KernelHarness.run(inputs: inputs, outputs: [TensorDescription(type: type, shape: [], quantization: outputQuantization ?? q)]) { (c: inout PrepareContext) throws(OpError) in
            let kernel = try Pad.prepare(&c)
            outputs = c.outputs
            return kernel
        }
        return (outputs[0].shape, out[0])
    }

    @Test func knownValues() throws {
        let x: [Float] = [1, 2, 3, 4]
        let out = try Self.run(.float32, [2, 2], x.withUnsafeBytes { Array($0) }, paddings: [1, 0, 0, 1])
        #expect(out.shape == [3, 3])
        #expect(out.bytes.values(as: Float.self) == [0, 0, 0, 1, 2, 0, 3, 4, 0])
        // PADV2 with a value.
        let v2 = try Self.run(.float32, [2, 2], x.withUnsafeBytes { Array($0) }, paddings: [0, 0, 1, 1],
                              value: .init(.float32, [], [Float(-1.5)], constant: true))
        #expect(v2.bytes.values(as: Float.self) == [-1.5, 1, 2, -1.5, -1.5, 3, 4, -1.5])
    }

    /// Quantized 8-bit tensors pad with the output's zero point (LiteRT's EvalInt).
    @Test func quantizedPadsWithTheZeroPoint() throws {
        let q = quantization(0.1, -7)
        let out = try Self.run(.int8, [1, 2], [5, 6], paddings: [0, 0, 1, 2], quantization: q)
        #expect(out.bytes.values(as: Int8.self) == [-7, 5, 6, -7, -7])
        let u = try Self.run(.uint8, [2], [9, 8], paddings: [2, 1], quantization: quantization(0.5, 128))
        #expect(u.bytes == [128, 128, 9, 8, 128])
        // UINT8 without quantization: zero point 0. INT8 without quantization: 0.
        #expect(try Self.run(.uint8, [1], [3], paddings: [1, 0]).bytes == [0, 3])
        // A PADV2 value with the output's quantization is used as it is.
        let v2 = try Self.run(.int8, [1], [3], paddings: [1, 1], value: .init(.int8, [1], [Int8(-100)], quantization: q, constant: true),
                              quantization: q)
        #expect(v2.bytes.values(as: Int8.self) == [-100, 3, -100])
    }

    @Test func randomPaddingsMatchTheReference() throws {
        var rng = SeededGenerator(seed: 0xBADD)
        for trial in 0..<400 {
            let rank = Int.random(in: 0...5, using: &rng)
            let shape = DataMovement.randomShape(rank: rank, maxDim: 5, &rng, allowZero: trial % 30 == 0)
            let paddings = (0..<(2 * rank)).map { _ in Bool.random(using: &rng) ? 0 : Int.random(in: 0...3, using: &rng) }
            let type = DataMovement.typesBySize.randomElement(using: &rng) ?? .float32
            let size = type.byteSize ?? 1
            let bytes = DataMovement.randomBytes(shape.reduce(1, *) * size, &rng)
            // A PADV2 value, sometimes with unequal bytes (no memset fill).
            let useValue = Bool.random(using: &rng)
            let value = useValue ? DataMovement.randomBytes(size, &rng) : [UInt8](repeating: 0, count: size)
            let valueInput: KernelHarness.Input? = useValue ? .bytes(type, [1], value, constant: true) : nil
            let paddingsType: DataType = [.int32, .int64, .int8].randomElement(using: &rng) ?? .int32
            let expected = Self.reference(bytes, shape: shape, paddings: paddings, value: value)
            let got = try Self.run(type, shape, bytes, paddings: paddings, paddingsType: paddingsType, value: valueInput)
            #expect(got.shape == expected.shape)
            #expect(got.bytes == expected.bytes, "\(type.schemaName) shape \(shape) paddings \(paddings)")
        }
    }

    @Test func imageStylePaddingMatchesTheReference() throws {
        var rng = SeededGenerator(seed: 0x1A6E)
        let shape = [2, 13, 11, 24]
        let paddings = [0, 0, 1, 2, 2, 1, 0, 0]
        let q = quantization(0.02, 3)
        let bytes = DataMovement.randomBytes(shape.reduce(1, *), &rng)
        let got = try Self.run(.int8, shape, bytes, paddings: paddings, quantization: q)
        #expect(got.bytes == Self.reference(bytes, shape: shape, paddings: paddings, value: [3]).bytes)
    }

    @Test func invalidPaddingsAreErrors() {
        let x = [UInt8](repeating: 0, count: 16)
        // Negative; wrong shape; not constant; rank 6.
        #expect(throws: OpError.self) { try Self.run(.float32, [2, 2], x, paddings: [0, -1, 0, 0]) }
        #expect(throws: OpError.self) {
            _ = try KernelHarness.run(inputs: [.bytes(.float32, [2, 2], x), .int32([0, 0, 0, 0], shape: [4])],
                                      outputs: [TensorDescription(type: .float32, shape: [])]) { (c: inout PrepareContext) throws(OpError) in try Pad.prepare(&c) }
        }
        #expect(throws: OpError.self) {
            _ = try KernelHarness.run(inputs: [.bytes(.float32, [2, 2], x), KernelHarness.Input(.int32, [2, 2], [Int32](repeating: 0, count: 4))],
                                      outputs: [TensorDescription(type: .float32, shape: [])]) { (c: inout PrepareContext) throws(OpError) in try Pad.prepare(&c) }
        }
        #expect(throws: OpError.self) { try Self.run(.int8, [1, 1, 1, 1, 1, 1], [0], paddings: [Int](repeating: 0, count: 12)) }
        // A PADV2 value of another type, or of another quantization, or not a scalar.
        #expect(throws: OpError.self) {
            try Self.run(.float32, [2, 2], x, paddings: [0, 0, 0, 0], value: .init(.int32, [], [Int32(1)], constant: true))
        }
        #expect(throws: OpError.self) {
            try Self.run(.int8, [2], [1, 2], paddings: [1, 1], value: .init(.int8, [], [Int8(1)], quantization: quantization(1, 0), constant: true),
                         quantization: quantization(0.5, 0))
        }
        #expect(throws: OpError.self) {
            try Self.run(.float32, [2, 2], x, paddings: [0, 0, 0, 0], value: .init(.float32, [2], [Float(1), 2], constant: true))
        }
        // A zero point the type cannot hold.
        #expect(throws: OpError.self) { try Self.run(.int8, [2], [1, 2], paddings: [1, 1], quantization: quantization(0.5, 200)) }
    }
}

extension PadTests {
    /// A scalar's paddings are [0, 2]: nothing to read, the value is copied.
    @Test func scalarIsCopied() throws {
        let out = try KernelHarness.run(inputs: [.bytes(.float32, [], [1, 2, 3, 4]), KernelHarness.Input(.int32, [0, 2], [Int32](), constant: true)],
                                        outputs: [TensorDescription(type: .float32, shape: [])]) { (c: inout PrepareContext) throws(OpError) in
            try Pad.prepare(&c)
        }
        #expect(out[0] == [1, 2, 3, 4])
    }
}

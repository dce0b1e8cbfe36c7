import Testing
import Ops
import TFLiteCore

@Suite struct TransposeTests {
    /// Scalar reference: output element at index i reads the input at index j, j[perm[d]] = i[d].
    static func reference(_ input: [UInt8], shape: [Int], perm: [Int], size: Int) -> (shape: [Int], bytes: [UInt8]) {
        let outShape = perm.map { shape[$0] }
        let count = outShape.reduce(1, *)
        var out: [UInt8] = []
        out.reserveCapacity(count * size)
        for o in 0..<count {
            let i = DataMovement.index(o, in: outShape)
            var j = [Int](repeating: 0, count: shape.count)
            for d in perm.indices { j[perm[d]] = i[d] }
            out += DataMovement.element(input, DataMovement.offset(j, in: shape), size: size)
        }
        return (outShape, out)
    }

    static func run(_ type: DataType, _ shape: [Int], _ bytes: [UInt8], perm: [Int], threads: Int = 1,
                    permType: DataType = .int32) throws(OpError) -> (shape: [Int], bytes: [UInt8]) {
        var harness: [TensorDescription] = []
        let permInput: KernelHarness.Input = permType == .int64
            ? .init(.int64, [perm.count], perm.map { Int64($0) }, constant: true)
            : .int32(perm)
        let out = try KernelHarness.run(threads: threads, inputs: [.bytes(type, shape, bytes), permInput],
                                        outputs: [TensorDescription(type: type, shape: [])]) { (c: inout PrepareContext) throws(OpError) in
            let kernel = try Transpose.prepare(&c)
            harness = c.outputs
            return kernel
        }
        return (harness[0].shape, out[0])
    }

    @Test func knownValues() throws {
        // [2, 3] → [3, 2]
        let values: [Int32] = [1, 2, 3, 4, 5, 6]
        let out = try Self.run(.int32, [2, 3], values.withUnsafeBytes { Array($0) }, perm: [1, 0])
        #expect(out.shape == [3, 2])
        #expect(out.bytes.values(as: Int32.self) == [1, 4, 2, 5, 3, 6])
        // Negative permutation entries count from the end, as LiteRT: [-1, 0] is [1, 0].
        let negative = try Self.run(.int32, [2, 3], values.withUnsafeBytes { Array($0) }, perm: [-1, 0], permType: .int64)
        #expect(negative.bytes == out.bytes)
    }

    @Test func randomPermutationsMatchTheReference() throws {
        var rng = SeededGenerator(seed: 0x7A45)
        for trial in 0..<300 {
            let rank = Int.random(in: 0...6, using: &rng)
            let shape = DataMovement.randomShape(rank: rank, maxDim: rank > 4 ? 4 : 7, &rng, allowZero: trial % 25 == 0)
            let perm = Array(0..<rank).shuffled(using: &rng)
            let type = DataMovement.typesBySize.randomElement(using: &rng) ?? .float32
            let size = type.byteSize ?? 1
            let bytes = DataMovement.randomBytes(shape.reduce(1, *) * size, &rng)
            let expected = Self.reference(bytes, shape: shape, perm: perm, size: size)
            let got = try Self.run(type, shape, bytes, perm: perm)
            #expect(got.shape == expected.shape, "shape \(shape) perm \(perm)")
            #expect(got.bytes == expected.bytes, "\(type.schemaName) shape \(shape) perm \(perm)")
        }
    }

    @Test(arguments: [DataType.int8, .int16, .float32, .int64, .complex128])
    func nchwToNhwcIsBlockedAndExact(type: DataType) throws {
        var rng = SeededGenerator(seed: 0x4C + UInt64(type.rawValue))
        let size = type.byteSize ?? 1
        // Odd sizes leave partial tiles; the large one runs on two threads.
        for (shape, threads) in [([1, 3, 17, 19], 1), ([2, 37, 9, 65], 1), ([1, 32, 56, 56], 2), ([3, 5, 1, 130], 2)] {
            let bytes = DataMovement.randomBytes(shape.reduce(1, *) * size, &rng)
            for perm in [[0, 2, 3, 1], [0, 3, 1, 2], [3, 2, 1, 0]] {
                let got = try Self.run(type, shape, bytes, perm: perm, threads: threads)
                let expected = Self.reference(bytes, shape: shape, perm: perm, size: size)
                #expect(got.shape == expected.shape)
                #expect(got.bytes == expected.bytes, "\(type.schemaName) \(shape) perm \(perm) threads \(threads)")
            }
        }
    }

    @Test func quantizedBytesPassThrough() throws {
        let q = quantization(0.5, -3)
        let bytes: [UInt8] = [0, 1, 2, 3, 4, 5]
        let out = try KernelHarness.run(inputs: [.bytes(.int8, [1, 2, 3], bytes, quantization: q), .int32([0, 2, 1])],
                                        outputs: [TensorDescription(type: .int8, shape: [], quantization: q)]) { (c: inout PrepareContext) throws(OpError) in
            try Transpose.prepare(&c)
        }
        #expect(out[0] == [0, 3, 1, 4, 2, 5])
    }

    @Test func invalidPermutationsAreErrors() {
        let input = KernelHarness.Input.bytes(.float32, [2, 3], [UInt8](repeating: 0, count: 24))
        func prepare(_ inputs: [KernelHarness.Input?], output: DataType = .float32) throws(OpError) {
            _ = try KernelHarness.run(inputs: inputs, outputs: [TensorDescription(type: output, shape: [])]) { (c: inout PrepareContext) throws(OpError) in
                try Transpose.prepare(&c)
            }
        }
        // Not constant.
        #expect(throws: OpError.self) { try prepare([input, KernelHarness.Input(.int32, [2], [Int32(1), 0])]) }
        // Repeated, out of range, wrong length.
        #expect(throws: OpError.self) { try prepare([input, .int32([0, 0])]) }
        #expect(throws: OpError.self) { try prepare([input, .int32([0, 2])]) }
        #expect(throws: OpError.self) { try prepare([input, .int32([0, -3])]) }
        #expect(throws: OpError.self) { try prepare([input, .int32([1, 0, 2])]) }
        #expect(throws: OpError.self) { try prepare([input, .int32([1, 0], shape: [1, 2])]) }
        // A float permutation, mismatched output type, missing input.
        #expect(throws: OpError.self) { try prepare([input, KernelHarness.Input(.float32, [2], [Float(1), 0], constant: true)]) }
        #expect(throws: OpError.self) { try prepare([input, .int32([1, 0])], output: .int32) }
        #expect(throws: OpError.self) { try prepare([input]) }
    }
}

extension TransposeTests {
    /// A scalar with an empty permutation (whose data may be absent) is copied.
    @Test func scalarWithEmptyPermutation() throws {
        let out = try KernelHarness.run(inputs: [.bytes(.int32, [], [1, 2, 3, 4]), KernelHarness.Input(.int32, [0], [Int32]())],
                                        outputs: [TensorDescription(type: .int32, shape: [])]) { (c: inout PrepareContext) throws(OpError) in
            try Transpose.prepare(&c)
        }
        #expect(out[0] == [1, 2, 3, 4])
    }
}

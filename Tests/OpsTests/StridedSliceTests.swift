import Testing
import Ops
import TFLiteCore

@Suite struct StridedSliceTests {
    /// One entry of a NumPy-style index: `x[1]`, `x[b:e:s]`, `x[None]`, `x[...]`.
    enum Entry: CustomStringConvertible {
        case index(Int)
        case slice(Int?, Int?, Int)
        case newAxis
        case ellipsis

        var description: String {
            switch self {
            case .index(let i): "\(i)"
            case .slice(let b, let e, let s): "\(b.map(String.init) ?? ""):\(e.map(String.init) ?? ""):\(s)"
            case .newAxis: "None"
            case .ellipsis: "..."
            }
        }
    }

    /// The tensors and masks TensorFlow writes for an index (masked values are garbage on purpose).
    static func encode(_ spec: [Entry]) -> (begin: [Int], end: [Int], strides: [Int], options: StridedSliceOptions) {
        var begin: [Int] = [], end: [Int] = [], strides: [Int] = []
        var options = StridedSliceOptions()
        for (k, entry) in spec.enumerated() {
            let bit = Int32(1) << Int32(k)
            switch entry {
            case .index(let i):
                begin.append(i); end.append(i + 1); strides.append(1)
                options.shrinkAxisMask |= bit
            case .slice(let b, let e, let s):
                begin.append(b ?? 77); end.append(e ?? -55); strides.append(s)
                if b == nil { options.beginMask |= bit }
                if e == nil { options.endMask |= bit }
            case .newAxis:
                begin.append(0); end.append(0); strides.append(1)
                options.newAxisMask |= bit
            case .ellipsis:
                begin.append(0); end.append(0); strides.append(1)
                options.ellipsisMask |= bit
            }
        }
        return (begin, end, strides, options)
    }

    /// Python's `slice(b, e, s).indices(n)`, listed.
    static func sliceIndices(_ b: Int?, _ e: Int?, _ s: Int, size n: Int) -> [Int] {
        if s > 0 {
            let start = b.map { $0 < 0 ? max($0 + n, 0) : min($0, n) } ?? 0
            let stop = e.map { $0 < 0 ? max($0 + n, 0) : min($0, n) } ?? n
            return Array(stride(from: start, to: stop, by: s))
        }
        let start = b.map { $0 < 0 ? max($0 + n, -1) : min($0, n - 1) } ?? n - 1
        let stop = e.map { $0 < 0 ? max($0 + n, -1) : min($0, n - 1) } ?? -1
        return Array(stride(from: start, to: stop, by: s))
    }

    /// Scalar reference with NumPy's meaning of the index: per output dimension, the list of input
    /// indices it walks (or a new axis); shrunk dimensions fix one index.
    static func reference(_ input: [UInt8], shape: [Int], spec: [Entry], size: Int) -> (shape: [Int], bytes: [UInt8]) {
        let consumed = spec.filter { if case .index = $0 { return true }; if case .slice = $0 { return true }; return false }.count
        var expanded: [Entry] = []
        for entry in spec {
            if case .ellipsis = entry {
                expanded += Array(repeating: .slice(nil, nil, 1), count: shape.count - consumed)
            } else {
                expanded.append(entry)
            }
        }
        if !spec.contains(where: { if case .ellipsis = $0 { return true }; return false }) {
            expanded += Array(repeating: .slice(nil, nil, 1), count: shape.count - consumed)
        }
        // Per output dimension: (input dimension or nil for a new axis, indices).
        var walks: [(dim: Int?, indices: [Int])] = []
        var fixed = [Int](repeating: 0, count: shape.count)
        var d = 0
        for entry in expanded {
            switch entry {
            case .index(let i):
                fixed[d] = i < 0 ? i + shape[d] : i
                d += 1
            case .slice(let b, let e, let s):
                walks.append((d, sliceIndices(b, e, s, size: shape[d])))
                d += 1
            case .newAxis:
                walks.append((nil, [0]))
            case .ellipsis:
                break
            }
        }
        let outShape = walks.map { $0.indices.count }
        let count = outShape.reduce(1, *)
        var out: [UInt8] = []
        for o in 0..<count {
            let position = DataMovement.index(o, in: outShape)
            var j = fixed
            for (k, walk) in walks.enumerated() {
                if let dim = walk.dim { j[dim] = walk.indices[position[k]] }
            }
            out += DataMovement.element(input, DataMovement.offset(j, in: shape), size: size)
        }
        return (outShape, out)
    }

    static func run(_ type: DataType, _ shape: [Int], _ bytes: [UInt8], begin: [Int], end: [Int], strides: [Int],
                    options: StridedSliceOptions, indexType: DataType = .int32,
                    quantization q: QuantizationParameters? = nil) throws(OpError) -> (shape: [Int], bytes: [UInt8]) {
        func vector(_ values: [Int]) -> KernelHarness.Input {
            indexType == .int64 ? .init(.int64, [values.count], values.map { Int64($0) }, constant: true) : .int32(values)
        }
        var outputs: [TensorDescription] = []
        let out = try KernelHarness.run(inputs: [.bytes(type, shape, bytes, quantization: q), vector(begin), vector(end), vector(strides)],
                                        outputs: [TensorDescription(type: type, shape: [], quantization: q)]) { (c: inout PrepareContext) throws(OpError) in
            let kernel = try StridedSlice.prepare(options, &c)
            outputs = c.outputs
            return kernel
        }
        return (outputs[0].shape, out[0])
    }

    static func run(_ values: [Float], _ shape: [Int], _ spec: [Entry]) throws(OpError) -> (shape: [Int], values: [Float]) {
        let (begin, end, strides, options) = encode(spec)
        let out = try run(.float32, shape, values.withUnsafeBytes { Array($0) }, begin: begin, end: end, strides: strides, options: options)
        return (out.shape, out.bytes.values(as: Float.self))
    }

    @Test func knownValues() throws {
        let x = (0..<24).map(Float.init)   // shape [2, 3, 4]
        // x[1, :, ::2] = [[12, 14], [16, 18], [20, 22]]
        var out = try Self.run(x, [2, 3, 4], [.index(1), .slice(nil, nil, 1), .slice(nil, nil, 2)])
        #expect(out.shape == [3, 2])
        #expect(out.values == [12, 14, 16, 18, 20, 22])
        // x[..., -1] = last column
        out = try Self.run(x, [2, 3, 4], [.ellipsis, .index(-1)])
        #expect(out.shape == [2, 3])
        #expect(out.values == [3, 7, 11, 15, 19, 23])
        // x[::-1, None, 2] = rows 2 of each batch, reversed, with a new axis
        out = try Self.run(x, [2, 3, 4], [.slice(nil, nil, -1), .newAxis, .index(2)])
        #expect(out.shape == [2, 1, 4])
        #expect(out.values == [20, 21, 22, 23, 8, 9, 10, 11])
        // x[0, 5:-10:-2] walks back from a clamped start: rows 2, 0
        out = try Self.run(x, [2, 3, 4], [.index(0), .slice(5, -10, -2)])
        #expect(out.shape == [2, 4])
        #expect(out.values == [8, 9, 10, 11, 0, 1, 2, 3])
        // An empty slice.
        out = try Self.run(x, [2, 3, 4], [.slice(1, 1, 1)])
        #expect(out.shape == [0, 3, 4])
        #expect(out.values.isEmpty)
    }

    /// The dynamic-batch pattern: SHAPE's [batch, …] vector, shrunk to its first element.
    @Test func scalarFromShapeVector() throws {
        let shape: [Int32] = [5, 224, 224, 3]
        let out = try Self.run(.int32, [4], shape.withUnsafeBytes { Array($0) }, begin: [0], end: [1], strides: [1],
                               options: StridedSliceOptions(shrinkAxisMask: 1))
        #expect(out.shape == [])
        #expect(out.bytes.values(as: Int32.self) == [5])
    }

    @Test func offsetMakesEndRelative() throws {
        let x: [Int32] = (0..<10).map { Int32($0) }
        // begin 3, end (offset) 4 → [3, 7)
        var out = try Self.run(.int32, [10], x.withUnsafeBytes { Array($0) }, begin: [3], end: [4], strides: [1],
                               options: StridedSliceOptions(offset: true), indexType: .int64)
        #expect(out.shape == [4])
        #expect(out.bytes.values(as: Int32.self) == [3, 4, 5, 6])
        // Past the end: clamped.
        out = try Self.run(.int32, [10], x.withUnsafeBytes { Array($0) }, begin: [-2], end: [5], strides: [1],
                           options: StridedSliceOptions(offset: true))
        #expect(out.bytes.values(as: Int32.self) == [8, 9])
    }

    @Test func randomSlicesMatchNumPySemantics() throws {
        var rng = SeededGenerator(seed: 0x5511CE)
        for trial in 0..<1500 {
            let rank = Int.random(in: 0...5, using: &rng)
            let shape = DataMovement.randomShape(rank: rank, maxDim: 6, &rng, allowZero: trial % 20 == 0)
            // Entries for a prefix of the dimensions, an optional ellipsis, some new axes.
            let named = Int.random(in: 0...rank, using: &rng)
            let ellipsis = Bool.random(using: &rng)
            var spec: [Entry] = []
            let namedDims: [Int] = ellipsis ? Array(0..<named).map { $0 < named / 2 ? $0 : $0 + rank - named } : Array(0..<named)
            for d in namedDims {
                let n = shape[d]
                if n > 0 && Int.random(in: 0..<4, using: &rng) == 0 {
                    spec.append(.index(Int.random(in: -n..<n, using: &rng)))
                } else {
                    let b: Int? = Bool.random(using: &rng) ? nil : Int.random(in: (-n - 2)...(n + 2), using: &rng)
                    let e: Int? = Bool.random(using: &rng) ? nil : Int.random(in: (-n - 2)...(n + 2), using: &rng)
                    let s = [-3, -2, -1, 1, 1, 2, 3].randomElement(using: &rng) ?? 1
                    spec.append(.slice(b, e, s))
                }
            }
            if ellipsis { spec.insert(.ellipsis, at: named / 2) }
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                spec.insert(.newAxis, at: Int.random(in: 0...spec.count, using: &rng))
            }
            let type = DataMovement.typesBySize.randomElement(using: &rng) ?? .float32
            let size = type.byteSize ?? 1
            let bytes = DataMovement.randomBytes(shape.reduce(1, *) * size, &rng)
            let expected = Self.reference(bytes, shape: shape, spec: spec, size: size)
            let (begin, end, strides, options) = Self.encode(spec)
            let got = try Self.run(type, shape, bytes, begin: begin, end: end, strides: strides, options: options,
                                   indexType: trial % 3 == 0 ? .int64 : .int32)
            #expect(got.shape == expected.shape, "shape \(shape) spec \(spec)")
            #expect(got.bytes == expected.bytes, "\(type.schemaName) shape \(shape) spec \(spec)")
        }
    }

    /// LiteRT clamps a shrink index before the start to the first element (and leaves one past the
    /// end undefined, which prepare refuses).
    @Test func shrinkIndexBeforeTheStartClamps() throws {
        let x: [Int32] = [4, 5, 6, 7, 8, 9]
        let out = try Self.run(.int32, [2, 3], x.withUnsafeBytes { Array($0) }, begin: [-3], end: [0], strides: [1],
                               options: StridedSliceOptions(shrinkAxisMask: 1))
        #expect(out.shape == [3])
        #expect(out.bytes.values(as: Int32.self) == [4, 5, 6])
    }

    @Test func quantizedBytesPassThrough() throws {
        let q = quantization(0.25, 7)
        let out = try Self.run(.uint8, [6], [10, 11, 12, 13, 14, 15], begin: [1], end: [6], strides: [2],
                               options: StridedSliceOptions(), quantization: q)
        #expect(out.bytes == [11, 13, 15])
    }

    @Test func invalidSlicesAreErrors() {
        let input = KernelHarness.Input.bytes(.float32, [2, 3], [UInt8](repeating: 0, count: 24))
        func prepare(_ begin: KernelHarness.Input, _ end: KernelHarness.Input, _ strides: KernelHarness.Input,
                     _ options: StridedSliceOptions = StridedSliceOptions(), input: KernelHarness.Input? = nil) throws(OpError) {
            _ = try KernelHarness.run(inputs: [input ?? KernelHarness.Input.bytes(.float32, [2, 3], [UInt8](repeating: 0, count: 24)), begin, end, strides],
                                      outputs: [TensorDescription(type: .float32, shape: [])]) { (c: inout PrepareContext) throws(OpError) in
                try StridedSlice.prepare(options, &c)
            }
        }
        // Zero stride; lengths that differ; not constant; a shrink index out of range.
        #expect(throws: OpError.self) { try prepare(.int32([0, 0]), .int32([1, 1]), .int32([1, 0])) }
        #expect(throws: OpError.self) { try prepare(.int32([0, 0]), .int32([1]), .int32([1, 1])) }
        #expect(throws: OpError.self) { try prepare(KernelHarness.Input(.int32, [1], [Int32(0)]), .int32([1]), .int32([1])) }
        #expect(throws: OpError.self) { try prepare(.int32([2]), .int32([3]), .int32([1]), StridedSliceOptions(shrinkAxisMask: 1)) }
        // More indices than dimensions; two ellipses.
        #expect(throws: OpError.self) { try prepare(.int32([0, 0, 0]), .int32([1, 1, 1]), .int32([1, 1, 1])) }
        #expect(throws: OpError.self) { try prepare(.int32([0, 0]), .int32([1, 1]), .int32([1, 1]), StridedSliceOptions(ellipsisMask: 3)) }
        // Rank 6 input.
        #expect(throws: OpError.self) {
            try prepare(.int32([0]), .int32([1]), .int32([1]), input: .bytes(.int8, [1, 1, 1, 1, 1, 2], [0, 0]))
        }
        // Mismatched output type.
        #expect(throws: OpError.self) {
            _ = try KernelHarness.run(inputs: [input, .int32([0]), .int32([1]), .int32([1])],
                                      outputs: [TensorDescription(type: .int32, shape: [])]) { (c: inout PrepareContext) throws(OpError) in
                try StridedSlice.prepare(StridedSliceOptions(), &c)
            }
        }
    }
}

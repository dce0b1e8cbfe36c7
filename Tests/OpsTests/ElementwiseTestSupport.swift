import Ops
import TFLiteCore

/// Helpers shared by the tests of the elementwise and activation ops (ADD, SUB, MUL, the RELU
/// family, LEAKY_RELU, HARD_SWISH, LOGISTIC, SOFTMAX, QUANTIZE, DEQUANTIZE). Their references are
/// plain scalar transliterations of TFLite's reference kernels, written in each test file.
enum Elementwise {
    /// The value an 8-bit element's byte holds (INT8 reads it signed).
    static func value(_ byte: UInt8, _ type: DataType) -> Int32 {
        type == .int8 ? Int32(Int8(bitPattern: byte)) : Int32(byte)
    }

    /// The byte that stores `value` (already in the type's range).
    static func byte(_ value: Int32) -> UInt8 { UInt8(truncatingIfNeeded: value) }

    /// All 256 bytes, in order: every value an 8-bit input can hold.
    static let allBytes: [UInt8] = (0...255).map { UInt8($0) }

    static func randomScale(_ rng: inout SeededGenerator, _ range: ClosedRange<Double> = 1e-3...2) -> Float {
        Float(exp(Double.random(in: log(range.lowerBound)...log(range.upperBound), using: &rng)))
    }

    /// A random per-tensor quantization of `type` (zero point 0 for INT16).
    static func randomQuantization(_ type: DataType, _ rng: inout SeededGenerator,
                                   scales: ClosedRange<Double> = 1e-3...2) -> QuantizationParameters {
        let range = type.quantizedRange ?? (0, 0)
        let zeroPoint = type == .int16 ? 0 : Int64.random(in: Int64(range.min)...Int64(range.max), using: &rng)
        return QuantizationParameters(scales: [randomScale(&rng, scales)], zeroPoints: [zeroPoint])
    }

    /// Runs a one-input op on raw bytes; returns the output's bytes.
    static func runUnary(_ prepare: (inout PrepareContext) throws(OpError) -> any Kernel,
                         input type: DataType, shape: [Int], bytes: [UInt8], quantization: QuantizationParameters?,
                         output outputType: DataType, outputQuantization: QuantizationParameters?,
                         threads: Int = 1) throws(OpError) -> [UInt8] {
        let result = try KernelHarness.run(
            threads: threads,
            inputs: [.bytes(type, shape, bytes, quantization: quantization)],
            outputs: [TensorDescription(type: outputType, shape: [], quantization: outputQuantization)],
            prepare: prepare)
        return result[0]
    }

    /// Runs a two-input op on raw bytes; returns the output's bytes and prepared shape.
    static func runBinary(_ prepare: (inout PrepareContext) throws(OpError) -> any Kernel,
                          type: DataType, shape1: [Int], bytes1: [UInt8], quantization1: QuantizationParameters? = nil,
                          shape2: [Int], bytes2: [UInt8], quantization2: QuantizationParameters? = nil,
                          outputQuantization: QuantizationParameters? = nil, threads: Int = 1,
                          isa: KernelISA = .current) throws(OpError) -> (bytes: [UInt8], shape: [Int]) {
        var outputShape: [Int] = []
        let result = try KernelHarness.run(
            threads: threads, isa: isa,
            inputs: [.bytes(type, shape1, bytes1, quantization: quantization1), .bytes(type, shape2, bytes2, quantization: quantization2)],
            outputs: [TensorDescription(type: type, shape: [], quantization: outputQuantization)],
            prepare: { (context: inout PrepareContext) throws(OpError) -> any Kernel in
                let kernel = try prepare(&context)
                outputShape = context.outputs[0].shape
                return kernel
            })
        return (result[0], outputShape)
    }

    // MARK: Broadcasting, the plain way

    /// NumPy's broadcast shape, or nil.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let x = [Int](repeating: 1, count: rank - a.count) + a
        let y = [Int](repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for d in 0..<rank {
            guard x[d] == y[d] || x[d] == 1 || y[d] == 1 else { return nil }
            out.append(x[d] == 0 || y[d] == 0 ? 0 : max(x[d], y[d]))
        }
        return out
    }

    /// For each output element in row-major order, the element of `a` and of `b` it reads:
    /// an odometer over the output index, each input reading index 0 along its 1-dimensions.
    static func broadcastSources(_ a: [Int], _ b: [Int]) -> [(Int, Int)] {
        guard let out = broadcastShape(a, b) else { return [] }
        let rank = out.count
        let x = [Int](repeating: 1, count: rank - a.count) + a
        let y = [Int](repeating: 1, count: rank - b.count) + b
        let stridesX = DataMovement.strides(x), stridesY = DataMovement.strides(y)
        let count = out.reduce(1, *)
        var result: [(Int, Int)] = []
        result.reserveCapacity(count)
        var index = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            var offsetX = 0, offsetY = 0
            for d in 0..<rank {
                if x[d] != 1 { offsetX += index[d] * stridesX[d] }
                if y[d] != 1 { offsetY += index[d] * stridesY[d] }
            }
            result.append((offsetX, offsetY))
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < out[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return result
    }

    /// A random pair of shapes that broadcast: the same shape, a trailing-channel vector, a
    /// single element, rank 0, or dimensions set to 1 at random on both sides.
    static func randomBroadcastShapes(_ rng: inout SeededGenerator, maxRank: Int = 5, maxDim: Int = 6) -> ([Int], [Int]) {
        let rank = Int.random(in: 1...maxRank, using: &rng)
        let full = (0..<rank).map { _ in Int.random(in: 1...maxDim, using: &rng) }
        var pair: ([Int], [Int])
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: pair = (full, full)
        case 1: pair = (full, [full[rank - 1]])
        case 2: pair = (full, [1])
        case 3: pair = (full, [])
        default:
            let a = full.map { Bool.random(using: &rng) ? $0 : 1 }
            let b = Array(full.map { Bool.random(using: &rng) ? $0 : 1 }.dropFirst(Int.random(in: 0..<rank, using: &rng)))
            pair = (a, b)
        }
        return Bool.random(using: &rng) ? pair : (pair.1, pair.0)
    }

    // MARK: TFLite's activation ranges

    /// `CalculateActivationRangeQuantized`: the fused activation's bounds on the output's scale.
    static func activationRange(_ activation: FusedActivation, scale: Float, zeroPoint: Int32, type: DataType) -> (Int32, Int32) {
        let (qmin, qmax) = type.quantizedRange!
        func quantize(_ f: Float) -> Int32 { zeroPoint + Int32((f / scale).rounded(.toNearestOrAwayFromZero)) }
        switch activation {
        case .relu: return (max(qmin, quantize(0)), qmax)
        case .relu6: return (max(qmin, quantize(0)), min(qmax, quantize(6)))
        case .reluN1To1: return (max(qmin, quantize(-1)), min(qmax, quantize(1)))
        default: return (qmin, qmax)
        }
    }

    /// `CalculateActivationRange<float>`.
    static func floatActivationRange(_ activation: FusedActivation) -> (Float, Float) {
        switch activation {
        case .relu: (0, .greatestFiniteMagnitude)
        case .relu6: (0, 6)
        case .reluN1To1: (-1, 1)
        default: (-.greatestFiniteMagnitude, .greatestFiniteMagnitude)
        }
    }

    static let activations: [FusedActivation] = [.none, .relu, .relu6, .reluN1To1]
}

extension Array where Element == UInt8 {
    /// `values` as little-endian bytes.
    init<T>(values: [T]) { self = values.withUnsafeBytes { Array($0) } }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Binary ops against a scalar reference

extension Elementwise {
    /// Runs a binary op on random inputs of the given shapes and compares every output byte with
    /// `reference(value1, value2)` (the op's output value for one pair of input values) over
    /// plain NumPy broadcasting. Returns a description of the first mismatch, or nil.
    static func quantizedBinaryMismatch(_ prepare: (inout PrepareContext) throws(OpError) -> any Kernel,
                                        type: DataType, _ shape1: [Int], _ shape2: [Int],
                                        _ q1: QuantizationParameters, _ q2: QuantizationParameters, _ qo: QuantizationParameters,
                                        threads: Int = 1, isa: KernelISA = .current, _ rng: inout SeededGenerator,
                                        reference: (Int32, Int32) -> Int32) throws(OpError) -> String? {
        let bytes1 = DataMovement.randomBytes(shape1.reduce(1, *), &rng)
        let bytes2 = DataMovement.randomBytes(shape2.reduce(1, *), &rng)
        return try quantizedBinaryMismatch(prepare, type: type, shape1, bytes1, shape2, bytes2, q1, q2, qo,
                                           threads: threads, isa: isa, reference: reference)
    }

    static func quantizedBinaryMismatch(_ prepare: (inout PrepareContext) throws(OpError) -> any Kernel,
                                        type: DataType, _ shape1: [Int], _ bytes1: [UInt8], _ shape2: [Int], _ bytes2: [UInt8],
                                        _ q1: QuantizationParameters, _ q2: QuantizationParameters, _ qo: QuantizationParameters,
                                        threads: Int = 1, isa: KernelISA = .current,
                                        reference: (Int32, Int32) -> Int32) throws(OpError) -> String? {
        let (output, shape) = try runBinary(prepare, type: type, shape1: shape1, bytes1: bytes1, quantization1: q1,
                                            shape2: shape2, bytes2: bytes2, quantization2: q2, outputQuantization: qo, threads: threads,
                                            isa: isa)
        guard shape == broadcastShape(shape1, shape2) else { return "output shape \(shape)" }
        for (i, (s1, s2)) in broadcastSources(shape1, shape2).enumerated() {
            let x1 = value(bytes1[s1], type), x2 = value(bytes2[s2], type)
            let expected = byte(reference(x1, x2))
            if output[i] != expected {
                return "\(shape1) \(shape2) element \(i): (\(x1), \(x2)) gave \(value(output[i], type)), reference \(value(expected, type))"
            }
        }
        return nil
    }

    /// Quantizations for pair tests: `fixed` scales (input 1, input 2, output) with random zero
    /// points, then `random` random ones.
    static func pairCases(_ type: DataType, _ fixed: [(Float, Float, Float)], random: Int, outputScales: ClosedRange<Double>,
                          _ rng: inout SeededGenerator) -> [(QuantizationParameters, QuantizationParameters, QuantizationParameters)] {
        let range = type.quantizedRange ?? (0, 0)
        func zero() -> Int64 { Int64.random(in: Int64(range.min)...Int64(range.max), using: &rng) }
        var cases = fixed.map { (QuantizationParameters(scales: [$0.0], zeroPoints: [zero()]), QuantizationParameters(scales: [$0.1], zeroPoints: [zero()]),
                                 QuantizationParameters(scales: [$0.2], zeroPoints: [zero()])) }
        for _ in 0..<random {
            cases.append((randomQuantization(type, &rng), randomQuantization(type, &rng), randomQuantization(type, &rng, scales: outputScales)))
        }
        return cases
    }

    /// All 65536 input pairs as two tensors of one shape ([256, 256], input 1 the row's byte,
    /// input 2 the column's): the same-shape kernels' path. A description of the first
    /// mismatch, or nil.
    static func everyPairAsTensorsMismatch(_ prepare: (inout PrepareContext) throws(OpError) -> any Kernel, type: DataType,
                                           _ q1: QuantizationParameters, _ q2: QuantizationParameters, _ qo: QuantizationParameters,
                                           isa: KernelISA, reference: (Int32, Int32) -> Int32) throws(OpError) -> String? {
        let first = (0..<65536).map { UInt8(truncatingIfNeeded: $0 >> 8) }, second = (0..<65536).map { UInt8(truncatingIfNeeded: $0) }
        return try quantizedBinaryMismatch(prepare, type: type, [256, 256], first, [256, 256], second, q1, q2, qo, isa: isa, reference: reference)
    }

    /// Every pair of 8-bit input values through the op: input 1 holds all 256 values down a
    /// column, input 2 across a row, in `rowsPerRun`-row slices (outputs of 256 × rowsPerRun
    /// elements, so small slices take the per-element path and whole ones the pair table).
    static func everyPairMismatch(_ prepare: (inout PrepareContext) throws(OpError) -> any Kernel, type: DataType,
                                  _ q1: QuantizationParameters, _ q2: QuantizationParameters, _ qo: QuantizationParameters,
                                  rowsPerRun: Int, isa: KernelISA = .current, reference: (Int32, Int32) -> Int32) throws(OpError) -> String? {
        for start in stride(from: 0, to: 256, by: rowsPerRun) {
            let column = Array(allBytes[start..<(start + rowsPerRun)])
            if let mismatch = try quantizedBinaryMismatch(prepare, type: type, [rowsPerRun, 1], column, [1, 256], allBytes,
                                                          q1, q2, qo, isa: isa, reference: reference) {
                return mismatch
            }
        }
        return nil
    }

    /// Runs a FLOAT32 or INT32 binary op on random inputs and compares with `reference` over
    /// plain broadcasting, exactly. Returns a description of the first mismatch, or nil.
    static func binaryMismatch<T: Equatable>(_ prepare: (inout PrepareContext) throws(OpError) -> any Kernel,
                                             type: DataType, _ shape1: [Int], _ shape2: [Int], threads: Int = 1,
                                             values: (Int) -> [T], reference: (T, T) -> T) throws(OpError) -> String? {
        let a = values(shape1.reduce(1, *)), b = values(shape2.reduce(1, *))
        let (output, shape) = try runBinary(prepare, type: type, shape1: shape1, bytes1: [UInt8](values: a),
                                            shape2: shape2, bytes2: [UInt8](values: b), threads: threads)
        guard shape == broadcastShape(shape1, shape2) else { return "output shape \(shape)" }
        let got = output.values(as: T.self)
        for (i, (s1, s2)) in broadcastSources(shape1, shape2).enumerated() where got[i] != reference(a[s1], b[s2]) {
            return "\(shape1) \(shape2) element \(i): (\(a[s1]), \(b[s2])) gave \(got[i]), reference \(reference(a[s1], b[s2]))"
        }
        return nil
    }
}

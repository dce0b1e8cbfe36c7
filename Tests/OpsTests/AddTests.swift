import Testing
import Ops
import TFLiteCore

/// reference/integer_ops/add.h `AddFunc` (and reference/sub.h `SubElementwise` when
/// `subtract`), with the multipliers as add.cc's `Prepare` / sub.cc's `PrepareGeneralSubOp`
/// compute them, transliterated.
struct ReferenceQuantizedAddSub {
    let input1Offset: Int32, input2Offset: Int32, outputOffset: Int32
    let input1Multiplier: QuantizedMultiplier, input2Multiplier: QuantizedMultiplier, outputMultiplier: QuantizedMultiplier
    let activationMin: Int32, activationMax: Int32
    let subtract: Bool

    init(_ q1: QuantizationParameters, _ q2: QuantizationParameters, _ qo: QuantizationParameters, type: DataType,
         activation: FusedActivation = .none, subtract: Bool = false) {
        let leftShift = 20
        input1Offset = -Int32(q1.zeroPoints[0])
        input2Offset = -Int32(q2.zeroPoints[0])
        outputOffset = Int32(qo.zeroPoints[0])
        let twiceMaxInputScale = Double(2 * max(q1.scales[0], q2.scales[0]))
        input1Multiplier = QuantizedMultiplier(Double(q1.scales[0]) / twiceMaxInputScale)
        input2Multiplier = QuantizedMultiplier(Double(q2.scales[0]) / twiceMaxInputScale)
        outputMultiplier = QuantizedMultiplier(twiceMaxInputScale / Double(Float(1 << leftShift) * qo.scales[0]))
        (activationMin, activationMax) = Elementwise.activationRange(activation, scale: qo.scales[0], zeroPoint: outputOffset, type: type)
        self.subtract = subtract
    }

    func callAsFunction(_ x1: Int32, _ x2: Int32) -> Int32 {
        let input1Value = input1Offset + x1
        let input2Value = input2Offset + x2
        let shiftedInput1Value = input1Value * (1 << 20)
        let shiftedInput2Value = input2Value * (1 << 20)
        let scaledInput1Value = multiplyByQuantizedMultiplierSmallerThanOneExp(shiftedInput1Value, input1Multiplier.multiplier, input1Multiplier.shift)
        let scaledInput2Value = multiplyByQuantizedMultiplierSmallerThanOneExp(shiftedInput2Value, input2Multiplier.multiplier, input2Multiplier.shift)
        let rawSum = subtract ? scaledInput1Value - scaledInput2Value : scaledInput1Value + scaledInput2Value
        let rawOutput = multiplyByQuantizedMultiplierSmallerThanOneExp(rawSum, outputMultiplier.multiplier, outputMultiplier.shift) + outputOffset
        return min(activationMax, max(activationMin, rawOutput))
    }
}

@Suite struct AddTests {
    static func prepare(_ activation: FusedActivation = .none) -> (inout PrepareContext) throws(OpError) -> any Kernel {
        { (context: inout PrepareContext) throws(OpError) -> any Kernel in try Add.prepare(ArithmeticOptions(activation: activation), &context) }
    }

    @Test func floatMatchesScalarReference() throws {
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<150 {
            let (a, b) = Elementwise.randomBroadcastShapes(&rng)
            let activation = Elementwise.activations.randomElement(using: &rng)!
            let (lo, hi) = Elementwise.floatActivationRange(activation)
            let mismatch = try Elementwise.binaryMismatch(Self.prepare(activation), type: .float32, a, b,
                                                          values: { n in (0..<n).map { _ in Float.random(in: -8...8, using: &rng) } },
                                                          reference: { x, y in min(max(x + y, lo), hi) })
            #expect(mismatch == nil)
        }
    }

    @Test func int32WrapsAndClamps() throws {
        var rng = SeededGenerator(seed: 2)
        for activation in Elementwise.activations {
            let (lo, hi): (Int32, Int32) = switch activation {
            case .relu: (0, .max)
            case .relu6: (0, 6)
            case .reluN1To1: (-1, 1)
            default: (.min, .max)
            }
            for _ in 0..<20 {
                let (a, b) = Elementwise.randomBroadcastShapes(&rng)
                let mismatch = try Elementwise.binaryMismatch(Self.prepare(activation), type: .int32, a, b,
                                                              values: { n in (0..<n).map { _ in Int32.random(in: .min ... .max, using: &rng) } },
                                                              reference: { x, y in min(max(x &+ y, lo), hi) })
                #expect(mismatch == nil)
            }
        }
    }

    @Test(arguments: [DataType.int8, .uint8])
    func quantizedMatchesReference(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 3 : 4)
        for _ in 0..<150 {
            let (a, b) = Elementwise.randomBroadcastShapes(&rng)
            let q1 = Elementwise.randomQuantization(type, &rng), q2 = Elementwise.randomQuantization(type, &rng)
            let qo = Elementwise.randomQuantization(type, &rng)
            let activation = Elementwise.activations.randomElement(using: &rng)!
            let reference = ReferenceQuantizedAddSub(q1, q2, qo, type: type, activation: activation)
            // At every level the CPU has: AVX-512 computes 16 lanes at a time, the others per
            // element or through the pair table.
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                var inputs = rng
                let mismatch = try Elementwise.quantizedBinaryMismatch(Self.prepare(activation), type: type, a, b, q1, q2, qo, isa: isa, &inputs,
                                                                       reference: reference.callAsFunction)
                #expect(mismatch == nil, "\(isa)")
            }
            _ = DataMovement.randomBytes(a.reduce(1, *) + b.reduce(1, *), &rng)
        }
    }

    /// ADD and SUB with either input a single repeated value, a channel vector, or a full
    /// tensor (sizes off the 16-lane boundary), at every level the CPU has.
    @Test(arguments: [DataType.int8, .uint8])
    func broadcastSidesMatchReference(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 8 : 9)
        let shapes: [([Int], [Int])] = [([5, 7], [1]), ([1], [5, 7]), ([3, 4, 21], [21]), ([21], [3, 4, 21]), ([2, 33], [2, 33]), ([1, 40], [3, 1])]
        for subtract in [false, true] {
            for (a, b) in shapes {
                let q1 = Elementwise.randomQuantization(type, &rng), q2 = Elementwise.randomQuantization(type, &rng)
                let qo = Elementwise.randomQuantization(type, &rng, scales: 0.01...1)
                let activation = Elementwise.activations.randomElement(using: &rng) ?? .none
                let reference = ReferenceQuantizedAddSub(q1, q2, qo, type: type, activation: activation, subtract: subtract)
                let prepare = subtract ? SubTests.prepare(activation) : Self.prepare(activation)
                let bytes1 = DataMovement.randomBytes(a.reduce(1, *), &rng), bytes2 = DataMovement.randomBytes(b.reduce(1, *), &rng)
                for isa in KernelISA.allCases where isa <= KernelISA.supported {
                    let mismatch = try Elementwise.quantizedBinaryMismatch(prepare, type: type, a, bytes1, b, bytes2, q1, q2, qo, isa: isa,
                                                                           reference: reference.callAsFunction)
                    #expect(mismatch == nil, "\(isa) \(subtract ? "SUB" : "ADD")")
                }
            }
        }
    }

    /// All 65536 input pairs, through the per-element path (small outputs) and the pair table.
    @Test(arguments: [DataType.int8, .uint8])
    func everyPairOfInputs(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 5 : 6)
        for round in 0..<4 {
            let q1 = Elementwise.randomQuantization(type, &rng), q2 = Elementwise.randomQuantization(type, &rng)
            let qo = Elementwise.randomQuantization(type, &rng, scales: 0.01...1)
            let activation = Elementwise.activations[round]
            let reference = ReferenceQuantizedAddSub(q1, q2, qo, type: type, activation: activation)
            for rows in [8, 256] {
                for isa in KernelISA.allCases where isa <= KernelISA.supported {
                    #expect(try Elementwise.everyPairMismatch(Self.prepare(activation), type: type, q1, q2, qo, rowsPerRun: rows, isa: isa,
                                                              reference: reference.callAsFunction) == nil, "\(isa)")
                }
            }
        }
    }

    /// All 65536 input pairs as two tensors of one shape (at AVX-512 the float form, which
    /// redoes the vectors near a rounding tie in integers), ADD and SUB, for scales whose
    /// outputs fall exactly on ties for half the pairs (x1/2 + x2/2, x1 + x2/2), scales far
    /// apart and random ones, with and without a fused activation.
    @Test(arguments: [DataType.int8, .uint8])
    func everyPairAsTensorsNearTies(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 21 : 22)
        let cases = Elementwise.pairCases(type, [(0.05, 0.05, 0.1), (0.02, 0.01, 0.02), (0.5, 0.5, 1.0), (0.003, 0.2, 0.1), (0.2, 0.003, 0.5)],
                                          random: 5, outputScales: 0.01...1, &rng)
        for (index, (q1, q2, qo)) in cases.enumerated() {
            let activation = Elementwise.activations[index % Elementwise.activations.count]
            for subtract in [false, true] {
                let reference = ReferenceQuantizedAddSub(q1, q2, qo, type: type, activation: activation, subtract: subtract)
                let prepare = subtract ? SubTests.prepare(activation) : Self.prepare(activation)
                for isa in KernelISA.allCases where isa <= KernelISA.supported {
                    let mismatch = try Elementwise.everyPairAsTensorsMismatch(prepare, type: type, q1, q2, qo, isa: isa,
                                                                              reference: reference.callAsFunction)
                    #expect(mismatch == nil, "\(isa) \(subtract ? "SUB" : "ADD") case \(index)")
                }
            }
        }
    }

    /// Large broadcasts split over threads give what one thread gives, and the reference.
    @Test func threadsSplitLargeBroadcasts() throws {
        var rng = SeededGenerator(seed: 7)
        let q = QuantizationParameters(scales: [0.05], zeroPoints: [-3])
        let qo = QuantizationParameters(scales: [0.08], zeroPoints: [5])
        let reference = ReferenceQuantizedAddSub(q, q, qo, type: .int8)
        for (a, b) in [([1, 56, 56, 24], [1, 56, 56, 24]), ([1, 40, 30, 64], [64]), ([2, 1, 900, 3], [7, 1, 3]), ([1, 90, 90, 9], [])] {
            let mismatch = try Elementwise.quantizedBinaryMismatch(Self.prepare(), type: .int8, a, b, q, q, qo, threads: 3, &rng,
                                                                   reference: reference.callAsFunction)
            #expect(mismatch == nil)
            let floatMismatch = try Elementwise.binaryMismatch(Self.prepare(), type: .float32, a, b, threads: 2,
                                                               values: { n in (0..<n).map { Float($0 % 97) * 0.25 } },
                                                               reference: { $0 + $1 })
            #expect(floatMismatch == nil)
        }
    }

    /// Outputs of LiteRT 2.3.0's reference kernels (BUILTIN_REF) for these parameters.
    @Test func knownValuesFromLiteRT() throws {
        let a: [Int8] = [-128, -100, -37, -1, 0, 1, 5, 64, 100, 127]
        let b: [Int8] = [127, 3, -50, -1, 0, 77, -128, 64, -7, 127]
        func run(_ activation: FusedActivation, _ qo: QuantizationParameters) throws -> [Int8] {
            try Elementwise.runBinary(Self.prepare(activation), type: .int8,
                                      shape1: [10], bytes1: [UInt8](values: a), quantization1: quantization(0.05, -3),
                                      shape2: [10], bytes2: [UInt8](values: b), quantization2: quantization(0.11, 10),
                                      outputQuantization: qo).bytes.values(as: Int8.self)
        }
        #expect(try run(.none, quantization(0.13, -5)) == [46, -48, -69, -14, -12, 53, -119, 66, 20, 127])
        #expect(try run(.relu6, quantization(0.03, -128)) == [72, -128, -128, -128, -128, 72, -128, 72, -19, 72])
        let au = a.map { UInt8(Int($0) + 128) }, bu = b.map { UInt8(Int($0) + 128) }
        let uint8 = try Elementwise.runBinary(Self.prepare(), type: .uint8, shape1: [10], bytes1: au, quantization1: quantization(0.02, 128),
                                              shape2: [10], bytes2: bu, quantization2: quantization(0.02, 120),
                                              outputQuantization: quantization(0.04, 125)).bytes
        #expect(uint8 == [129, 80, 85, 128, 129, 168, 67, 193, 176, 255])
        // Scales of 1 and zero points of 0: plain sums (3 + 4 = 7), clamped.
        let plain = try Elementwise.runBinary(Self.prepare(), type: .uint8, shape1: [3], bytes1: [3, 200, 0], quantization1: quantization(1, 0),
                                              shape2: [3], bytes2: [4, 100, 0], quantization2: quantization(1, 0),
                                              outputQuantization: quantization(1, 0)).bytes
        #expect(plain == [7, 255, 0])
    }

    @Test func refusesWhatTFLiteRefuses() {
        let f = TensorDescription(type: .float32, shape: [])
        func prepare(_ a: TensorDescription, _ b: TensorDescription, _ out: TensorDescription) throws(OpError) {
            var context = PrepareContext(inputs: [a, b], outputs: [out])
            _ = try Add.prepare(ArithmeticOptions(), &context)
        }
        // Shapes that do not broadcast.
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .float32, shape: [2, 3]), TensorDescription(type: .float32, shape: [4]), f) }
        // Inputs of different types; an output of another type; types ADD does not take.
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .float32, shape: [2]), TensorDescription(type: .int32, shape: [2]), f) }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int32, shape: [2]), TensorDescription(type: .int32, shape: [2]), f) }
        let h = TensorDescription(type: .float16, shape: [2])
        #expect(throws: OpError.self) { try prepare(h, h, TensorDescription(type: .float16, shape: [])) }
        let s16 = TensorDescription(type: .int16, shape: [2], quantization: quantization(0.1, 0))
        #expect(throws: OpError.self) { try prepare(s16, s16, s16) }
        // Missing, zero and NaN scales; a zero point outside the type.
        let good = TensorDescription(type: .int8, shape: [2], quantization: quantization(0.1, 0))
        for bad in [QuantizationParameters(scales: [0], zeroPoints: [0]), QuantizationParameters(scales: [.nan], zeroPoints: [0]),
                    QuantizationParameters(scales: [0.1], zeroPoints: [300]), QuantizationParameters(scales: [], zeroPoints: [])] {
            let t = TensorDescription(type: .int8, shape: [2], quantization: bad)
            #expect(throws: OpError.self) { try prepare(t, good, good) }
            #expect(throws: OpError.self) { try prepare(good, good, t) }
        }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .int8, shape: [2]), good, good) }
        // An output scale so small the output multiplier reaches 1 (TFLite aborts there).
        let tiny = TensorDescription(type: .int8, shape: [2], quantization: quantization(1e-8, 0))
        #expect(throws: OpError.self) { try prepare(good, good, tiny) }
        // TANH is no fused activation a kernel clamps to; wrong input counts.
        #expect(throws: OpError.self) {
            var context = PrepareContext(inputs: [good, good], outputs: [good])
            _ = try Add.prepare(ArithmeticOptions(activation: .tanh), &context)
        }
        #expect(throws: OpError.self) {
            var context = PrepareContext(inputs: [good], outputs: [good])
            _ = try Add.prepare(ArithmeticOptions(), &context)
        }
    }
}

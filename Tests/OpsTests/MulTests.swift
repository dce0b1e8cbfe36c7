import Testing
import Ops
import TFLiteCore

/// reference/integer_ops/mul.h `MulElementwise` with mul.cc's multiplier (float arithmetic,
/// widened to double), transliterated.
struct ReferenceQuantizedMul {
    let input1Offset: Int32, input2Offset: Int32, outputOffset: Int32
    let outputMultiplier: QuantizedMultiplier
    let activationMin: Int32, activationMax: Int32

    init(_ q1: QuantizationParameters, _ q2: QuantizationParameters, _ qo: QuantizationParameters, type: DataType,
         activation: FusedActivation = .none) {
        input1Offset = -Int32(q1.zeroPoints[0])
        input2Offset = -Int32(q2.zeroPoints[0])
        outputOffset = Int32(qo.zeroPoints[0])
        let realMultiplier: Double = Double(q1.scales[0] * q2.scales[0] / qo.scales[0])
        outputMultiplier = QuantizedMultiplier(realMultiplier)
        (activationMin, activationMax) = Elementwise.activationRange(activation, scale: qo.scales[0], zeroPoint: outputOffset, type: type)
    }

    func callAsFunction(_ x1: Int32, _ x2: Int32) -> Int32 {
        let input1Value = input1Offset + x1
        let input2Value = input2Offset + x2
        let unclampedResult = outputOffset + multiplyByQuantizedMultiplier(input1Value * input2Value, outputMultiplier.multiplier, outputMultiplier.shift)
        return min(activationMax, max(activationMin, unclampedResult))
    }
}

@Suite struct MulTests {
    static func prepare(_ activation: FusedActivation = .none) -> (inout PrepareContext) throws(OpError) -> any Kernel {
        { (context: inout PrepareContext) throws(OpError) -> any Kernel in try Mul.prepare(ArithmeticOptions(activation: activation), &context) }
    }

    @Test func floatAndInt32MatchScalarReference() throws {
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<100 {
            let (a, b) = Elementwise.randomBroadcastShapes(&rng)
            let activation = Elementwise.activations.randomElement(using: &rng)!
            let (lo, hi) = Elementwise.floatActivationRange(activation)
            #expect(try Elementwise.binaryMismatch(Self.prepare(activation), type: .float32, a, b,
                                                   values: { n in (0..<n).map { _ in Float.random(in: -8...8, using: &rng) } },
                                                   reference: { x, y in min(max(x * y, lo), hi) }) == nil)
            #expect(try Elementwise.binaryMismatch(Self.prepare(.relu6), type: .int32, a, b,
                                                   values: { n in (0..<n).map { _ in Int32.random(in: -70000...70000, using: &rng) } },
                                                   reference: { x, y in min(max(x &* y, 0), 6) }) == nil)
        }
    }

    @Test(arguments: [DataType.int8, .uint8])
    func quantizedMatchesReference(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 22 : 23)
        for _ in 0..<150 {
            let (a, b) = Elementwise.randomBroadcastShapes(&rng)
            let q1 = Elementwise.randomQuantization(type, &rng), q2 = Elementwise.randomQuantization(type, &rng)
            let qo = Elementwise.randomQuantization(type, &rng, scales: 1e-4...2)
            let activation = Elementwise.activations.randomElement(using: &rng)!
            let reference = ReferenceQuantizedMul(q1, q2, qo, type: type, activation: activation)
            #expect(try Elementwise.quantizedBinaryMismatch(Self.prepare(activation), type: type, a, b, q1, q2, qo, &rng,
                                                            reference: reference.callAsFunction) == nil)
        }
    }

    @Test(arguments: [DataType.int8, .uint8])
    func everyPairOfInputs(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 24 : 25)
        for round in 0..<4 {
            let q1 = Elementwise.randomQuantization(type, &rng), q2 = Elementwise.randomQuantization(type, &rng)
            let qo = Elementwise.randomQuantization(type, &rng, scales: 1e-3...1)
            let activation = Elementwise.activations[round]
            let reference = ReferenceQuantizedMul(q1, q2, qo, type: type, activation: activation)
            for rows in [8, 256] {
                #expect(try Elementwise.everyPairMismatch(Self.prepare(activation), type: type, q1, q2, qo, rowsPerRun: rows,
                                                          reference: reference.callAsFunction) == nil)
            }
        }
    }

    /// All 65536 input pairs as two tensors of one shape (at AVX-512 the 16-lane kernel), for
    /// multipliers whose products fall on rounding ties often (2^−9: the float requantizer,
    /// ties redone in integers), of ½ to 1 (the integer one) and above 1 (a left shift), and
    /// random ones, with and without a fused activation.
    @Test(arguments: [DataType.int8, .uint8])
    func everyPairAsTensors(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 26 : 27)
        let cases = Elementwise.pairCases(type, [(0.5, 0.25, 64.0), (0.5, 0.5, 0.3), (1.0, 1.5, 0.5), (0.02, 0.004, 0.00001)], random: 4,
                                          outputScales: 1e-4...2, &rng)
        for (index, (q1, q2, qo)) in cases.enumerated() {
            let activation = Elementwise.activations[index % Elementwise.activations.count]
            let reference = ReferenceQuantizedMul(q1, q2, qo, type: type, activation: activation)
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                let mismatch = try Elementwise.everyPairAsTensorsMismatch(Self.prepare(activation), type: type, q1, q2, qo, isa: isa,
                                                                          reference: reference.callAsFunction)
                #expect(mismatch == nil, "\(isa) case \(index)")
            }
        }
    }

    /// The multiplier is s1 · s2 / s_out computed in float, as mul.cc does, then widened: in
    /// double these scales give another multiplier and here another output. LiteRT gives −83.
    @Test func multiplierIsComputedInFloat() throws {
        let (s1, s2, so): (Float, Float, Float) = (0.0017063478007912636, 0.19459284842014313, 0.010205252096056938)
        #expect(QuantizedMultiplier(Double(s1 * s2 / so)) != QuantizedMultiplier(Double(s1) * Double(s2) / Double(so)))
        let output = try Elementwise.runBinary(Self.prepare(), type: .int8, shape1: [1], bytes1: [UInt8](values: [Int8(-59)]),
                                               quantization1: quantization(s1, 108), shape2: [1], bytes2: [UInt8](values: [Int8(27)]),
                                               quantization2: quantization(s2, 35), outputQuantization: quantization(so, -126)).bytes
        #expect(output.values(as: Int8.self) == [-83])
    }

    @Test func knownValuesFromLiteRT() throws {
        let a: [Int8] = [-128, -100, -37, -1, 0, 1, 5, 64, 100, 127]
        let b: [Int8] = [127, 3, -50, -1, 0, 77, -128, 64, -7, 127]
        let int8 = try Elementwise.runBinary(Self.prepare(), type: .int8,
                                             shape1: [10], bytes1: [UInt8](values: a), quantization1: quantization(0.05, -3),
                                             shape2: [10], bytes2: [UInt8](values: b), quantization2: quantization(0.11, 10),
                                             outputQuantization: quantization(0.02, 4)).bytes.values(as: Int8.self)
        #expect(int8 == [-128, 127, 127, -2, -5, 78, -128, 127, -128, 127])
        let au = a.map { UInt8(Int($0) + 128) }, bu = b.map { UInt8(Int($0) + 128) }
        let uint8 = try Elementwise.runBinary(Self.prepare(), type: .uint8, shape1: [10], bytes1: au, quantization1: quantization(0.02, 128),
                                              shape2: [10], bytes2: bu, quantization2: quantization(0.015, 120),
                                              outputQuantization: quantization(0.001, 100)).bytes
        #expect(uint8 == [0, 0, 255, 98, 100, 126, 0, 255, 130, 255])
    }

    @Test func refusesWhatTFLiteRefuses() {
        let good = TensorDescription(type: .int8, shape: [2, 2], quantization: quantization(0.1, 0))
        func prepare(_ a: TensorDescription, _ b: TensorDescription, _ out: TensorDescription) throws(OpError) {
            var context = PrepareContext(inputs: [a, b], outputs: [out])
            _ = try Mul.prepare(ArithmeticOptions(), &context)
        }
        #expect(throws: OpError.self) { try prepare(good, TensorDescription(type: .int8, shape: [3], quantization: quantization(0.1, 0)), good) }
        #expect(throws: OpError.self) { try prepare(good, good, TensorDescription(type: .uint8, shape: [2, 2], quantization: quantization(0.1, 0))) }
        #expect(throws: OpError.self) { try prepare(good, good, TensorDescription(type: .int8, shape: [2, 2], quantization: quantization(0, 0))) }
        let c = TensorDescription(type: .complex64, shape: [2])
        #expect(throws: OpError.self) { try prepare(c, c, c) }
    }
}

import Testing
import Ops
import TFLiteCore

@Suite struct SubTests {
    static func prepare(_ activation: FusedActivation = .none) -> (inout PrepareContext) throws(OpError) -> any Kernel {
        { (context: inout PrepareContext) throws(OpError) -> any Kernel in try Sub.prepare(ArithmeticOptions(activation: activation), &context) }
    }

    @Test func floatAndInt32MatchScalarReference() throws {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<100 {
            let (a, b) = Elementwise.randomBroadcastShapes(&rng)
            let activation = Elementwise.activations.randomElement(using: &rng)!
            let (lo, hi) = Elementwise.floatActivationRange(activation)
            #expect(try Elementwise.binaryMismatch(Self.prepare(activation), type: .float32, a, b,
                                                   values: { n in (0..<n).map { _ in Float.random(in: -8...8, using: &rng) } },
                                                   reference: { x, y in min(max(x - y, lo), hi) }) == nil)
            #expect(try Elementwise.binaryMismatch(Self.prepare(), type: .int32, a, b,
                                                   values: { n in (0..<n).map { _ in Int32.random(in: .min ... .max, using: &rng) } },
                                                   reference: { x, y in x &- y }) == nil)
        }
    }

    @Test(arguments: [DataType.int8, .uint8])
    func quantizedMatchesReference(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 12 : 13)
        for _ in 0..<150 {
            let (a, b) = Elementwise.randomBroadcastShapes(&rng)
            let q1 = Elementwise.randomQuantization(type, &rng), q2 = Elementwise.randomQuantization(type, &rng)
            let qo = Elementwise.randomQuantization(type, &rng)
            let activation = Elementwise.activations.randomElement(using: &rng)!
            let reference = ReferenceQuantizedAddSub(q1, q2, qo, type: type, activation: activation, subtract: true)
            #expect(try Elementwise.quantizedBinaryMismatch(Self.prepare(activation), type: type, a, b, q1, q2, qo, &rng,
                                                            reference: reference.callAsFunction) == nil)
        }
    }

    @Test(arguments: [DataType.int8, .uint8])
    func everyPairOfInputs(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 14 : 15)
        for round in 0..<4 {
            let q1 = Elementwise.randomQuantization(type, &rng), q2 = Elementwise.randomQuantization(type, &rng)
            let qo = Elementwise.randomQuantization(type, &rng, scales: 0.01...1)
            let activation = Elementwise.activations[round]
            let reference = ReferenceQuantizedAddSub(q1, q2, qo, type: type, activation: activation, subtract: true)
            for rows in [8, 256] {
                for isa in KernelISA.allCases where isa <= KernelISA.supported {
                    #expect(try Elementwise.everyPairMismatch(Self.prepare(activation), type: type, q1, q2, qo, rowsPerRun: rows, isa: isa,
                                                              reference: reference.callAsFunction) == nil, "\(isa)")
                }
            }
        }
    }

    /// SUB subtracts the rounded scaled input 2 (reference/sub.h). Adding input 2 scaled by a
    /// negated multiplier is not the same: gemmlowp's doubling high multiply rounds positive ties
    /// up and negative ties toward zero. Here that changes the output; LiteRT gives 59.
    @Test func subtractsTheRoundedScaledInput() throws {
        let q1 = quantization(0.014896231703460217, -119), q2 = quantization(0.008110176771879196, 38)
        let qo = quantization(0.023171909153461456, 24)
        let output = try Elementwise.runBinary(Self.prepare(), type: .int8, shape1: [1], bytes1: [UInt8](values: [Int8(-42)]), quantization1: q1,
                                               shape2: [1], bytes2: [UInt8](values: [Int8(78)]), quantization2: q2,
                                               outputQuantization: qo).bytes
        #expect(output.values(as: Int8.self) == [59])
        // The negated-multiplier form, for contrast.
        let reference = ReferenceQuantizedAddSub(q1, q2, qo, type: .int8)
        let negated = QuantizedMultiplier(multiplier: -reference.input2Multiplier.multiplier, shift: reference.input2Multiplier.shift)
        let scaled1 = multiplyByQuantizedMultiplierSmallerThanOneExp((-42 + 119) * (1 << 20), reference.input1Multiplier.multiplier, reference.input1Multiplier.shift)
        let scaled2 = multiplyByQuantizedMultiplierSmallerThanOneExp((78 - 38) * (1 << 20), negated.multiplier, negated.shift)
        let viaNegation = multiplyByQuantizedMultiplierSmallerThanOneExp(scaled1 + scaled2, reference.outputMultiplier.multiplier,
                                                                         reference.outputMultiplier.shift) + 24
        #expect(viaNegation == 60)
    }

    @Test func knownValuesFromLiteRT() throws {
        let a: [Int8] = [-128, -100, -37, -1, 0, 1, 5, 64, 100, 127]
        let b: [Int8] = [127, 3, -50, -1, 0, 77, -128, 64, -7, 127]
        let int8 = try Elementwise.runBinary(Self.prepare(), type: .int8,
                                             shape1: [10], bytes1: [UInt8](values: a), quantization1: quantization(0.05, -3),
                                             shape2: [10], bytes2: [UInt8](values: b), quantization2: quantization(0.11, 10),
                                             outputQuantization: quantization(0.13, -5)).bytes.values(as: Int8.self)
        #expect(int8 == [-128, -36, 33, 5, 5, -60, 115, -25, 49, -54])
        let au = a.map { UInt8(Int($0) + 128) }, bu = b.map { UInt8(Int($0) + 128) }
        let uint8 = try Elementwise.runBinary(Self.prepare(), type: .uint8, shape1: [10], bytes1: au, quantization1: quantization(0.02, 128),
                                              shape2: [10], bytes2: bu, quantization2: quantization(0.0125, 120),
                                              outputQuantization: quantization(0.03, 128)).bytes
        #expect(uint8 == [0, 57, 121, 124, 125, 93, 181, 141, 194, 156])
    }

    @Test func refusesWhatTFLiteRefuses() {
        let good = TensorDescription(type: .uint8, shape: [2], quantization: quantization(0.1, 10))
        func prepare(_ a: TensorDescription, _ b: TensorDescription, _ out: TensorDescription) throws(OpError) {
            var context = PrepareContext(inputs: [a, b], outputs: [out])
            _ = try Sub.prepare(ArithmeticOptions(), &context)
        }
        #expect(throws: OpError.self) { try prepare(TensorDescription(type: .uint8, shape: [3], quantization: quantization(0.1, 10)), good, good) }
        #expect(throws: OpError.self) { try prepare(good, TensorDescription(type: .uint8, shape: [2], quantization: quantization(0.1, -1)), good) }
        // A rescale factor above 1 takes TFLite to a negative shift in RoundingDivideByPOT.
        #expect(throws: OpError.self) { try prepare(good, good, TensorDescription(type: .uint8, shape: [2], quantization: quantization(1e-8, 0))) }
        let b = TensorDescription(type: .bool, shape: [2])
        #expect(throws: OpError.self) { try prepare(b, b, b) }
    }
}

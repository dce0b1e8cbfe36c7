import Testing
import Ops
import TFLiteCore

/// The broadcast plan ADD, SUB and MUL share: shapes as TFLite's `CalculateShapeForBroadcast`,
/// merged loops, and a walk that visits every output element once with the right sources.
@Suite struct BroadcastTests {
    /// The offsets the plan's segments give, element by element, for the output range `elements`.
    static func walk(_ plan: BroadcastPlan, _ elements: Range<Int>) -> [(Int, Int)] {
        var sources: [(Int, Int)] = []
        var next = elements.lowerBound
        plan.forEachSegment(in: elements) { output, offset1, offset2, count in
            #expect(output == next)
            next += count
            for i in 0..<count { sources.append((offset1 + i * plan.innerStride1, offset2 + i * plan.innerStride2)) }
        }
        #expect(next == elements.upperBound)
        return sources
    }

    @Test func walksEveryElementWithItsSources() throws {
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<400 {
            let (a, b) = Elementwise.randomBroadcastShapes(&rng, maxRank: 6, maxDim: 4)
            let plan = try BroadcastPlan(a, b)
            #expect(plan.outputShape == Elementwise.broadcastShape(a, b))
            let expected = Elementwise.broadcastSources(a, b)
            let got = Self.walk(plan, 0..<plan.outputCount)
            #expect(got.map(\.0) == expected.map(\.0) && got.map(\.1) == expected.map(\.1), "\(a) \(b)")
            // Any sub-range, as a thread gets it.
            if plan.outputCount > 1 {
                let start = Int.random(in: 0..<plan.outputCount, using: &rng)
                let end = Int.random(in: start...plan.outputCount, using: &rng)
                let part = Self.walk(plan, start..<end)
                #expect(part.map(\.0) == expected[start..<end].map(\.0) && part.map(\.1) == expected[start..<end].map(\.1))
            }
        }
    }

    @Test func commonCasesCollapse() throws {
        // Same shapes: one run over everything.
        let same = try BroadcastPlan([1, 7, 7, 32], [1, 7, 7, 32])
        #expect(same.isElementwise && same.innerCount == 7 * 7 * 32 && same.outerExtents.isEmpty)
        // Per channel: runs of C over one outer loop of H·W, the channel vector restarting.
        let channel = try BroadcastPlan([1, 7, 5, 32], [1, 1, 1, 32])
        #expect(channel.innerCount == 32 && channel.innerStride1 == 1 && channel.innerStride2 == 1)
        #expect(channel.outerExtents == [35] && channel.outerStrides1 == [32] && channel.outerStrides2 == [0])
        // A scalar either side: one run, the scalar standing still.
        let scalar = try BroadcastPlan([], [2, 3, 4])
        #expect(scalar.innerCount == 24 && scalar.innerStride1 == 0 && scalar.innerStride2 == 1 && scalar.outerExtents.isEmpty)
        let one = try BroadcastPlan([2, 3, 4], [1, 1])
        #expect(one.innerCount == 24 && one.innerStride1 == 1 && one.innerStride2 == 0)
        // Spatial broadcast ([.., 1] against [.., C]): runs of C with input 1 standing still.
        let spatial = try BroadcastPlan([1, 4, 4, 1], [1, 4, 4, 8])
        #expect(spatial.innerCount == 8 && spatial.innerStride1 == 0 && spatial.outerExtents == [16] && spatial.outerStrides1 == [1])
        // Single elements and rank 0.
        #expect(try BroadcastPlan([], []).outputShape == [] && (try BroadcastPlan([], [])).outputCount == 1)
        #expect(try BroadcastPlan([1, 1], [1]).outputShape == [1, 1])
    }

    @Test func shapesFollowTFLite() throws {
        #expect(try BroadcastPlan([2, 1, 3], [4, 1]).outputShape == [2, 4, 3])
        #expect(try BroadcastPlan([0, 3], [1, 3]).outputShape == [0, 3])
        #expect(try BroadcastPlan([1, 3], [0, 1]).outputShape == [0, 3])
        #expect(try BroadcastPlan([0, 3], [1, 3]).outputCount == 0)
        #expect(throws: OpError.self) { try BroadcastPlan([2, 3], [3, 3]) }
        #expect(throws: OpError.self) { try BroadcastPlan([0, 3], [2, 3]) }
        #expect(throws: OpError.self) { try BroadcastPlan([2, 3], [4]) }
        #expect(try BroadcastPlan([Int](repeating: 1, count: 8), [2]).outputShape.count == 8)
        #expect(throws: OpError.self) { try BroadcastPlan([Int](repeating: 1, count: 9), [2]) }
    }
}

/// ADD, SUB and MUL with one input a constant single value (MobileNetV3's input scaling) are
/// tables of the other input's bytes: every byte of it, on either side, at every level,
/// against the reference.
@Suite struct ConstantOperandTests {
    @Test(arguments: [DataType.int8, .uint8])
    func everyByteAgainstAConstant(type: DataType) throws {
        var rng = SeededGenerator(seed: type == .int8 ? 31 : 32)
        let bytes = (0..<256).map { UInt8($0) }
        for round in 0..<6 {
            let q1 = Elementwise.randomQuantization(type, &rng), q2 = Elementwise.randomQuantization(type, &rng)
            let qo = Elementwise.randomQuantization(type, &rng, scales: 0.01...1)
            let activation = Elementwise.activations[round % Elementwise.activations.count]
            let constant = UInt8.random(in: 0...255, using: &rng)
            let add = ReferenceQuantizedAddSub(q1, q2, qo, type: type, activation: activation)
            let sub = ReferenceQuantizedAddSub(q1, q2, qo, type: type, activation: activation, subtract: true)
            let mul = ReferenceQuantizedMul(q1, q2, qo, type: type, activation: activation)
            let ops: [(String, (inout PrepareContext) throws(OpError) -> any Kernel, (Int32, Int32) -> Int32)] = [
                ("ADD", AddTests.prepare(activation), add.callAsFunction), ("SUB", SubTests.prepare(activation), sub.callAsFunction),
                ("MUL", MulTests.prepare(activation), mul.callAsFunction),
            ]
            func value(_ byte: UInt8) -> Int32 { type == .int8 ? Int32(Int8(bitPattern: byte)) : Int32(byte) }
            for (name, prepare, reference) in ops {
                for constantFirst in [false, true] {
                    let tensor = KernelHarness.Input(type, [1, 16, 16], bytes, quantization: constantFirst ? q2 : q1)
                    let single = KernelHarness.Input(type, [], [constant], quantization: constantFirst ? q1 : q2, constant: true)
                    for isa in KernelISA.allCases where isa <= KernelISA.supported {
                        let output = try KernelHarness.run(isa: isa, inputs: constantFirst ? [single, tensor] : [tensor, single],
                                                           outputs: [TensorDescription(type: type, shape: [], quantization: qo)], prepare: prepare)[0]
                        let expected = bytes.map { byte in
                            UInt8(truncatingIfNeeded: constantFirst ? reference(value(constant), value(byte)) : reference(value(byte), value(constant)))
                        }
                        #expect(output == expected, "\(name) \(isa) constant \(constantFirst ? "first" : "second") round \(round)")
                    }
                }
            }
        }
    }
}

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

import Testing
import TFLite

@Suite struct MemoryPlannerTests {
    @Test func buffersAliveTogetherNeverOverlap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let requests = (0..<40).map { _ -> MemoryPlanner.Request in
                let first = Int.random(in: 0..<30, using: &generator)
                return .init(bytes: Int.random(in: 1...5000, using: &generator), firstUse: first,
                             lastUse: first + Int.random(in: 0..<6, using: &generator))
            }
            let (offsets, arena) = MemoryPlanner.plan(requests)
            for i in requests.indices {
                #expect(offsets[i] % 64 == 0)
                #expect(offsets[i] + requests[i].bytes <= arena)
                for j in requests.indices where j > i && requests[i].firstUse <= requests[j].lastUse && requests[j].firstUse <= requests[i].lastUse {
                    let disjoint = offsets[i] + requests[i].bytes <= offsets[j] || offsets[j] + requests[j].bytes <= offsets[i]
                    #expect(disjoint, "buffers \(i) and \(j) overlap while both alive")
                }
            }
        }
    }

    @Test func buffersWithDisjointLifetimesShareMemory() {
        let (offsets, arena) = MemoryPlanner.plan([.init(bytes: 1000, firstUse: 0, lastUse: 1), .init(bytes: 1000, firstUse: 2, lastUse: 3)])
        #expect(offsets == [0, 0])
        #expect(arena == 1024)
    }
}

/// Places buffers in one arena so that buffers alive at the same time never overlap.
///
/// A pure function of (size, first use, last use) per buffer, as TFLite's greedy planner:
/// buffers are placed largest first, each at the lowest offset where it fits beside the
/// already-placed buffers whose lifetimes overlap its own.
package enum MemoryPlanner {
    /// One buffer to place: `bytes` long, alive from step `firstUse` through `lastUse`.
    package struct Request: Equatable, Sendable {
        package var bytes: Int
        package var firstUse: Int
        package var lastUse: Int

        package init(bytes: Int, firstUse: Int, lastUse: Int) {
            self.bytes = bytes
            self.firstUse = firstUse
            self.lastUse = lastUse
        }

        func overlaps(_ other: Request) -> Bool {
            firstUse <= other.lastUse && other.firstUse <= lastUse
        }
    }

    /// The offsets (one per request, in request order) and the arena size they need. Every
    /// offset is a multiple of `alignment`.
    package static func plan(_ requests: [Request], alignment: Int = 64) -> (offsets: [Int], arenaBytes: Int) {
        let order = requests.indices.sorted {
            requests[$0].bytes != requests[$1].bytes ? requests[$0].bytes > requests[$1].bytes : $0 < $1
        }
        var offsets = [Int](repeating: 0, count: requests.count)
        var placed: [Int] = []
        var arenaBytes = 0
        for index in order {
            let request = requests[index]
            let size = alignedSize(request.bytes, alignment)
            // Live neighbours, sorted by offset; take the first gap that fits.
            let neighbours = placed.filter { requests[$0].overlaps(request) }.sorted { offsets[$0] < offsets[$1] }
            var candidate = 0
            for other in neighbours {
                let start = offsets[other]
                if candidate + size <= start { break }
                candidate = max(candidate, start + alignedSize(requests[other].bytes, alignment))
            }
            offsets[index] = candidate
            arenaBytes = max(arenaBytes, candidate + size)
            placed.append(index)
        }
        return (offsets, arenaBytes)
    }

    static func alignedSize(_ bytes: Int, _ alignment: Int) -> Int {
        (max(bytes, 1) + alignment - 1) / alignment * alignment
    }
}

import TFLiteCore

/// TRANSPOSE by a constant permutation (INT32 or INT64; entries in −rank..<rank, negative ones
/// counting from the end, as LiteRT): output dimension d is input dimension perm[d]. Any
/// fixed-size type, rank ≤ 8; the bytes are moved, quantization is not looked at (as LiteRT).
/// A swap of the innermost dimension with another (NCHW → NHWC) runs as a blocked transpose.
package enum Transpose {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...2, outputs: 1)
        let input = try context.input(0), output = try context.output(0), permTensor = try context.input(1)
        guard input.type == output.type else {
            throw .unsupportedType("input is \(input.type.schemaName) but output is \(output.type.schemaName)")
        }
        guard let size = input.type.byteSize else { throw .unsupportedType("\(input.type.schemaName) tensors cannot be transposed") }
        guard input.rank <= 8 else { throw .invalidShape("TRANSPOSE takes rank ≤ 8, got \(input.rank)") }
        guard let raw = permTensor.shape == [0] ? [] : permTensor.constantIntegers() else {
            throw .notConstant("the permutation of TRANSPOSE must be a constant INT32 or INT64 tensor")
        }
        guard permTensor.rank == 1, permTensor.shape[0] == input.rank, raw.count >= input.rank else {
            throw .invalidShape("the permutation must be a vector of \(input.rank) entries, got shape \(permTensor.shape)")
        }
        let rank = input.rank
        var perm: [Int] = []
        var seen = [Bool](repeating: false, count: rank)
        for value in raw.prefix(rank) {
            guard value >= -rank, value < rank else { throw .invalidOptions("permutation entry \(value) is out of range for rank \(rank)") }
            let d = value < 0 ? value + rank : value
            guard !seen[d] else { throw .invalidOptions("permutation \(Array(raw.prefix(rank))) repeats dimension \(d)") }
            seen[d] = true
            perm.append(d)
        }
        let inputStrides = rowMajorStrides(input.shape)
        let shape = perm.map { input.shape[$0] }
        try context.setOutputShape(0, shape)
        return GatherCopyKernel(plan: ElementCopyPlan(counts: shape, strides: perm.map { inputStrides[$0] }, start: 0, elementSize: size))
    }
}

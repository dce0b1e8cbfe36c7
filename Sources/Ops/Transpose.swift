import TFLiteCore

/// TRANSPOSE by a constant permutation: `out[i0…in] = in[i_perm⁻¹…]`, output dimension d being
/// input dimension perm[d]. Any fixed-size type, rank ≤ 6.
package enum Transpose {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...2, outputs: 1)
        let input = try context.input(0), output = try context.output(0)
        guard input.type == output.type, let size = input.type.byteSize else { throw .unsupportedType("input and output types must agree") }
        guard let perm = try context.input(1).constantIntegers() else { throw .notConstant("the permutation must be constant") }
        guard input.rank <= 6, perm.count == input.rank, Set(perm) == Set(0..<input.rank) else {
            throw .invalidOptions("\(perm) is not a permutation of the \(input.rank) dimensions")
        }
        let inputStrides = rowMajorStrides(input.shape)
        let shape = perm.map { input.shape[$0] }
        try context.setOutputShape(0, shape)
        return GatherCopyKernel(plan: ElementCopyPlan(counts: shape, strides: perm.map { inputStrides[$0] }, start: 0, elementSize: size))
    }
}

import TFLiteCore

/// SQUEEZE: drops the listed dimensions (negative counting from the end; each must have size 1;
/// repeats allowed), or every size-1 dimension when none are listed. Any fixed-size type,
/// rank ≤ 8; the bytes are unchanged.
package enum Squeeze {
    package static func prepare(_ options: SqueezeOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 1...1, outputs: 1)
        let input = try context.input(0), output = try context.output(0)
        guard input.type == output.type else {
            throw .unsupportedType("input is \(input.type.schemaName) but output is \(output.type.schemaName)")
        }
        guard let size = input.type.byteSize else { throw .unsupportedType("\(input.type.schemaName) tensors cannot be squeezed") }
        guard input.rank <= 8 else { throw .invalidShape("SQUEEZE takes rank ≤ 8, got \(input.rank)") }
        var drop = [Bool](repeating: false, count: input.rank)
        if options.squeezeDims.isEmpty {
            for (d, dim) in input.shape.enumerated() where dim == 1 { drop[d] = true }
        }
        for dim in options.squeezeDims {
            let d = dim < 0 ? dim + input.rank : dim
            guard d >= 0, d < input.rank else { throw .invalidOptions("squeeze dimension \(dim) is out of range for rank \(input.rank)") }
            guard input.shape[d] == 1 else { throw .invalidShape("dimension \(dim) of \(input.shape) is \(input.shape[d]), not 1") }
            drop[d] = true
        }
        let shape = input.shape.indices.filter { !drop[$0] }.map { input.shape[$0] }
        try context.setOutputShape(0, shape)
        return CopyKernel(byteCount: input.elementCount * size)
    }
}

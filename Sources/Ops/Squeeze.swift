import TFLiteCore

/// SQUEEZE: drops the listed size-1 dimensions (all size-1 dimensions when none are listed).
/// Any fixed-size type; the bytes are unchanged.
package enum Squeeze {
    package static func prepare(_ options: SqueezeOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 1...1, outputs: 1)
        let input = try context.input(0), output = try context.output(0)
        guard input.type == output.type, let size = input.type.byteSize else { throw .unsupportedType("input and output types must agree") }
        var drop = Set<Int>()
        for dim in options.squeezeDims {
            let d = dim < 0 ? dim + input.rank : dim
            guard d >= 0, d < input.rank else { throw .invalidOptions("squeeze dimension \(dim) is out of range for rank \(input.rank)") }
            guard input.shape[d] == 1 else { throw .invalidShape("dimension \(dim) of \(input.shape) is not 1") }
            drop.insert(d)
        }
        let shape = input.shape.enumerated().filter { options.squeezeDims.isEmpty ? $0.element != 1 : !drop.contains($0.offset) }.map(\.element)
        try context.setOutputShape(0, shape)
        return CopyKernel(byteCount: input.elementCount * size)
    }
}

import TFLiteCore

/// PACK: stacks `valuesCount` inputs of one shape and type along a new dimension `axis`
/// (−rank−1…rank, negative counting from the end of the output). Any fixed-size type (INT32 for
/// the shape arithmetic of dynamic-batch models); every input must have the output's scale and
/// zero point, as LiteRT's pack.cc (a tensor without quantization counts as scale 0, zero point 0).
package enum Pack {
    package static func prepare(_ options: PackOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        guard context.inputs.count >= 1, context.outputs.count == 1 else {
            throw .arity("PACK takes 1 or more inputs and 1 output, got \(context.inputs.count) and \(context.outputs.count)")
        }
        guard context.inputs.count == options.valuesCount else {
            throw .arity("PACK has \(context.inputs.count) inputs but values_count \(options.valuesCount)")
        }
        let first = try context.input(0), output = try context.output(0)
        guard output.type == first.type else {
            throw .unsupportedType("input is \(first.type.schemaName) but output is \(output.type.schemaName)")
        }
        guard let size = first.type.byteSize else { throw .unsupportedType("\(first.type.schemaName) tensors cannot be packed") }
        let outputQuantization = Pad.quantizationPair(output)
        for i in 0..<context.inputs.count {
            let input = try context.input(i)
            guard input.type == first.type else {
                throw .unsupportedType("input \(i) is \(input.type.schemaName) but input 0 is \(first.type.schemaName)")
            }
            guard input.shape == first.shape else { throw .invalidShape("input \(i) has shape \(input.shape), input 0 has \(first.shape)") }
            guard Pad.quantizationPair(input) == outputQuantization else {
                throw .invalidQuantization("input \(i) must have the output's scale and zero point")
            }
        }
        let axis = options.axis < 0 ? options.axis + first.rank + 1 : options.axis
        guard axis >= 0, axis <= first.rank else {
            throw .invalidOptions("axis \(options.axis) is out of range for rank-\(first.rank) inputs")
        }
        var shape = first.shape
        shape.insert(context.inputs.count, at: axis)
        try context.setOutputShape(0, shape)
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[axis...].reduce(1, *) * size
        return ConcatenateBytesKernel(outer: outer, innerBytes: [Int](repeating: inner, count: context.inputs.count))
    }
}

import TFLiteCore

/// PACK: stacks N inputs of one shape along a new dimension `axis`. Any fixed-size type
/// (INT32 for the shape arithmetic of dynamic-batch models); quantized inputs must share the
/// output's quantization.
package enum Pack {
    package static func prepare(_ options: PackOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        guard context.inputs.count >= 1, context.outputs.count == 1 else { throw .arity("PACK takes at least 1 input and 1 output") }
        let first = try context.input(0), output = try context.output(0)
        guard let size = first.type.byteSize, output.type == first.type else { throw .unsupportedType("input and output types must agree") }
        for i in 0..<context.inputs.count {
            let input = try context.input(i)
            guard input.shape == first.shape, input.type == first.type else { throw .invalidShape("PACK inputs must share shape and type") }
        }
        let axis = options.axis < 0 ? options.axis + first.rank + 1 : options.axis
        guard axis >= 0, axis <= first.rank else { throw .invalidOptions("axis \(options.axis) is out of range") }
        var shape = first.shape
        shape.insert(context.inputs.count, at: axis)
        try context.setOutputShape(0, shape)
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[axis...].reduce(1, *) * size
        return ConcatenateBytesKernel(outer: outer, innerBytes: [Int](repeating: inner, count: context.inputs.count))
    }
}

/// Interleaves inputs: for each of `outer` blocks, copies each input's next block of bytes.
/// The eval of PACK and (equal quantization) CONCATENATION.
final class ConcatenateBytesKernel: Kernel {
    let outer: Int
    let innerBytes: [Int]

    init(outer: Int, innerBytes: [Int]) {
        self.outer = outer
        self.innerBytes = innerBytes
    }

    func eval(_ args: KernelArguments) {
        var out = args.outputs[0]
        for o in 0..<outer {
            for (i, bytes) in innerBytes.enumerated() where bytes > 0 {
                guard let input = args.inputs[i] else { continue }
                out.copyMemory(from: input + o * bytes, byteCount: bytes)
                out += bytes
            }
        }
    }
}

import TFLiteCore

/// SHAPE: the input's shape as a 1-D INT32 or INT64 tensor (the output tensor's type, which the
/// options' out_type names too). Reads no input data, so the interpreter computes it at prepare
/// time even when the input is an activation. Any input type.
package enum Shape {
    package static func prepare(_ options: ShapeOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 1...1, outputs: 1)
        let input = try context.input(0), output = try context.output(0)
        guard output.type == .int32 || output.type == .int64 else {
            throw .unsupportedType("SHAPE output must be INT32 or INT64, got \(output.type.schemaName)")
        }
        guard output.type == .int64 || input.shape.allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw .tooLarge("shape \(input.shape) does not fit INT32")
        }
        try context.setOutputShape(0, [input.rank])
        return ShapeKernel(shape: input.shape, wide: output.type == .int64)
    }
}

/// Writes the shape captured at prepare.
final class ShapeKernel: Kernel {
    let shape: [Int]
    let wide: Bool

    init(shape: [Int], wide: Bool) {
        self.shape = shape
        self.wide = wide
    }

    var readsInputData: Bool { false }

    func eval(_ args: KernelArguments) {
        if wide {
            let out = args.output(0, as: Int64.self)
            for (i, d) in shape.enumerated() { out[i] = Int64(d) }
        } else {
            let out = args.output(0, as: Int32.self)
            for (i, d) in shape.enumerated() { out[i] = Int32(truncatingIfNeeded: d) }
        }
    }
}

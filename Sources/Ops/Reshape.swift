import TFLiteCore

/// RESHAPE: the same elements under a new shape, from the constant (or folded) shape input 1,
/// else from the options' `new_shape`. One dimension may be −1 and is inferred.
package enum Reshape {
    package static func prepare(_ options: ReshapeOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 1...2, outputs: 1)
        let input = try context.input(0)
        let output = try context.output(0)
        guard input.type == output.type else {
            throw .unsupportedType("input is \(input.type.schemaName) but output is \(output.type.schemaName)")
        }
        guard let elementSize = input.type.byteSize else { throw .unsupportedType("\(input.type.schemaName) tensors cannot be reshaped") }
        var requested: [Int]
        if let shapeTensor = context.optionalInput(1), shapeTensor.rank == 1 || !shapeTensor.isConstant {
            // TFLite treats a shape input of rank 1 as the shape; one given but not constant
            // cannot be planned for.
            guard let values = shapeTensor.constantIntegers() else {
                throw .notConstant("the shape input of RESHAPE must be constant or computable at prepare time")
            }
            requested = values
        } else if let newShape = options.newShape {
            requested = newShape
        } else {
            throw .invalidOptions("RESHAPE has neither a shape input nor new_shape")
        }
        // A shape input [0] with a scalar output means "reshape to a scalar".
        if requested == [0], output.rank == 0 { requested = [] }
        let shape = try inferredShape(requested, elementCount: input.elementCount)
        try context.setOutputShape(0, shape)
        return CopyKernel(byteCount: input.elementCount * elementSize)
    }

    /// Resolves a −1 in `requested` so the element counts agree.
    package static func inferredShape(_ requested: [Int], elementCount: Int) throws(OpError) -> [Int] {
        var shape = requested
        var known = 1
        var inferred: Int?
        for (i, dim) in requested.enumerated() {
            if dim == -1 {
                guard inferred == nil else { throw .invalidShape("shape \(requested) has more than one −1") }
                inferred = i
            } else {
                guard dim >= 0 else { throw .invalidShape("shape \(requested) has a negative dimension") }
                let (product, overflow) = known.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw .tooLarge("shape \(requested) has too many elements") }
                known = product
            }
        }
        if let i = inferred {
            guard known > 0, elementCount % known == 0 else {
                throw .invalidShape("cannot reshape \(elementCount) elements to \(requested)")
            }
            shape[i] = elementCount / known
        } else {
            guard known == elementCount else { throw .invalidShape("cannot reshape \(elementCount) elements to \(requested)") }
        }
        return shape
    }
}

/// Copies input 0's bytes to output 0: the eval of every op that only changes a shape.
package final class CopyKernel: Kernel {
    let byteCount: Int

    package init(byteCount: Int) { self.byteCount = byteCount }

    package func eval(_ args: KernelArguments) {
        guard let source = args.inputs[0], byteCount > 0 else { return }
        let destination = args.outputs[0]
        if UnsafeRawPointer(destination) != source {
            destination.copyMemory(from: source, byteCount: byteCount)
        }
    }
}

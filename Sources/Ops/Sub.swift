import TFLiteCore

/// SUB: `out = act(a − b)` with NumPy broadcasting. FLOAT32, INT32 (wrapping), INT8 and UINT8
/// with TFLite's reference integer arithmetic (sub.cc `PrepareGeneralSubOp`, reference/sub.h):
/// ADD's scheme with the scaled second input subtracted.
package enum Sub {
    package static func prepare(_ options: ArithmeticOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let prepared = try BinaryArithmetic.prepareShapes(.sub, &context, types: [.float32, .int32, .int8, .uint8])
        switch prepared.output.type {
        case .int8, .uint8:
            let parameters = try QuantizedAddParameters(prepared, activation: options.activation, subtract: true)
            if let table = BinaryArithmetic.constantOperandTable(prepared, isa: context.kernelISA, compute: parameters.reference) { return table }
            return parameters.kernel(plan: prepared.plan, signed: prepared.output.type == .int8, isa: context.kernelISA)
        default:
            return try BinaryArithmetic.unquantizedKernel(.sub, prepared, activation: options.activation, isa: context.kernelISA)
        }
    }
}

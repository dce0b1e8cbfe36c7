import TFLiteCore

/// CONCATENATION along `axis` (negative allowed). FLOAT32 (with fused activation), INT32,
/// INT8, UINT8; quantized inputs with other scales than the output's are requantized as the
/// reference does: `round(x · s_in/s_out − zp_in · s_in/s_out) + zp_out`.
package enum Concatenation {
    package static func prepare(_ options: ConcatenationOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        guard context.inputs.count >= 1, context.outputs.count == 1 else { throw .arity("CONCATENATION takes inputs and 1 output") }
        let first = try context.input(0), output = try context.output(0)
        guard let size = first.type.byteSize, output.type == first.type else { throw .unsupportedType("input and output types must agree") }
        let axis = options.axis < 0 ? options.axis + first.rank : options.axis
        guard axis >= 0, axis < first.rank else { throw .invalidOptions("axis \(options.axis) is out of range for rank \(first.rank)") }
        var shape = first.shape
        shape[axis] = 0
        var inputs: [TensorDescription] = []
        for i in 0..<context.inputs.count {
            let input = try context.input(i)
            guard input.type == first.type, input.rank == first.rank else { throw .invalidShape("inputs must share type and rank") }
            for d in 0..<first.rank where d != axis && input.shape[d] != first.shape[d] {
                throw .invalidShape("input \(i) shape \(input.shape) does not match \(first.shape) outside axis \(axis)")
            }
            shape[axis] += input.shape[axis]
            inputs.append(input)
        }
        try context.setOutputShape(0, shape)
        let outer = first.shape[..<axis].reduce(1, *)
        let innerAfter = first.shape[(axis + 1)...].reduce(1, *)
        let innerBytes = inputs.map { $0.shape[axis] * innerAfter * size }
        switch first.type {
        case .float32:
            let activation = try options.activation.kind()
            guard activation == .none else {
                let range = try options.activation.floatRange()
                return ClampAfter(ConcatenateBytesKernel(outer: outer, innerBytes: innerBytes), count: output.elementCount, range: range)
            }
        case .int8, .uint8:
            let (so, zo) = try output.perTensorQuantization("output")
            var needsRequantize = false
            for input in inputs {
                let (s, z) = try input.perTensorQuantization("input")
                if s != so || z != zo { needsRequantize = true }
            }
            if needsRequantize {
                guard let range = first.type.quantizedRange else { throw .unsupportedType("\(first.type.schemaName)") }
                var tables: [AlignedBuffer<UInt8>] = []
                for input in inputs {
                    let (s, z) = try input.perTensorQuantization("input")
                    let scale = s * (1 / so)
                    let bias = -Float(z) * scale
                    let table = ByteTableKernel(inputSigned: first.type == .int8, count: 0) { x in
                        if s == so && z == zo { return x }
                        let v = Int32((Float(x) * scale + bias).rounded(.toNearestOrAwayFromZero)) + zo
                        return min(max(v, range.min), range.max)
                    }.table
                    tables.append(table)
                }
                return RequantizingConcatenationKernel(outer: outer, innerBytes: innerBytes, tables: tables)
            }
        default:
            break
        }
        return ConcatenateBytesKernel(outer: outer, innerBytes: innerBytes)
    }
}

/// A float concatenation followed by its fused activation clamp.
final class ClampAfter: Kernel {
    let inner: ConcatenateBytesKernel
    let count: Int
    let range: (min: Float, max: Float)

    init(_ inner: ConcatenateBytesKernel, count: Int, range: (min: Float, max: Float)) {
        self.inner = inner
        self.count = count
        self.range = range
    }

    func eval(_ args: KernelArguments) {
        inner.eval(args)
        let out = args.output(0, as: Float.self)
        for i in 0..<count { out[i] = min(max(out[i], range.min), range.max) }
    }
}

final class RequantizingConcatenationKernel: Kernel {
    let outer: Int
    let innerBytes: [Int]
    let tables: [AlignedBuffer<UInt8>]

    init(outer: Int, innerBytes: [Int], tables: [AlignedBuffer<UInt8>]) {
        self.outer = outer
        self.innerBytes = innerBytes
        self.tables = tables
    }

    func eval(_ args: KernelArguments) {
        var out = args.output(0, as: UInt8.self)
        for o in 0..<outer {
            for (i, bytes) in innerBytes.enumerated() {
                guard let raw = args.inputs[i] else { continue }
                let input = raw.assumingMemoryBound(to: UInt8.self) + o * bytes
                let table = tables[i].pointer
                for j in 0..<bytes { out[j] = table[Int(input[j])] }
                out += bytes
            }
        }
    }
}

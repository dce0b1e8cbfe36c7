import TFLiteCore

/// CONCATENATION of one or more inputs along `axis` (negative counts from the end); all other
/// dimensions must agree. Any fixed-size type is copied byte for byte (LiteRT takes FLOAT32,
/// INT32, INT64, INT16, INT8, UINT8). Quantized INT8/UINT8 inputs whose scale or zero point
/// differ from the output's are requantized as LiteRT's reference `ConcatenationWithScaling`:
/// `round(x · s + b) + zp_out` in float, with `s = s_in · (1 / s_out)` and `b = −zp_in · s`,
/// rounded half away from zero and clamped (LiteRT itself refuses unequal INT8 quantization). A
/// fused activation clamps FLOAT32 outputs; other types take none (LiteRT takes none at all).
package enum Concatenation {
    package static func prepare(_ options: ConcatenationOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        guard context.inputs.count >= 1, context.outputs.count == 1 else {
            throw .arity("CONCATENATION takes 1 or more inputs and 1 output, got \(context.inputs.count) and \(context.outputs.count)")
        }
        let first = try context.input(0), output = try context.output(0)
        guard output.type == first.type else {
            throw .unsupportedType("input is \(first.type.schemaName) but output is \(output.type.schemaName)")
        }
        guard let size = first.type.byteSize else { throw .unsupportedType("\(first.type.schemaName) tensors cannot be concatenated") }
        let rank = first.rank
        let axis = options.axis < 0 ? options.axis + rank : options.axis
        guard axis >= 0, axis < rank else { throw .invalidOptions("axis \(options.axis) is out of range for rank \(rank)") }
        var shape = first.shape
        shape[axis] = 0
        var inputs: [TensorDescription] = []
        for i in 0..<context.inputs.count {
            let input = try context.input(i)
            guard input.type == first.type else {
                throw .unsupportedType("input \(i) is \(input.type.schemaName) but input 0 is \(first.type.schemaName)")
            }
            guard input.rank == rank else { throw .invalidShape("input \(i) has rank \(input.rank), input 0 has rank \(rank)") }
            for d in 0..<rank where d != axis && input.shape[d] != first.shape[d] {
                throw .invalidShape("input \(i) shape \(input.shape) does not match \(first.shape) outside axis \(axis)")
            }
            shape[axis] += input.shape[axis]
            inputs.append(input)
        }
        try context.setOutputShape(0, shape)
        let outer = first.shape[..<axis].reduce(1, *)
        let innerAfter = first.shape[(axis + 1)...].reduce(1, *)
        let innerBytes = inputs.map { $0.shape[axis] * innerAfter * size }

        let activation = try options.activation.kind()
        if first.type == .float32, activation != .none {
            let range = try options.activation.floatRange()
            return ClampingConcatenationKernel(ConcatenateBytesKernel(outer: outer, innerBytes: innerBytes),
                                               count: shape.reduce(1, *), range: range)
        }
        guard activation == .none else {
            throw .invalidOptions("CONCATENATION of \(first.type.schemaName) takes no fused activation")
        }
        if first.type == .int8 || first.type == .uint8 {
            let outputPair = Pad.quantizationPair(output)
            var tables: [AlignedBuffer<UInt8>?] = []
            for (i, input) in inputs.enumerated() {
                if Pad.quantizationPair(input) == outputPair {
                    tables.append(nil)
                    continue
                }
                let (inputScale, inputZeroPoint) = try input.perTensorQuantization("input \(i)")
                let (outputScale, outputZeroPoint) = try output.perTensorQuantization("output")
                tables.append(requantizationTable(signed: first.type == .int8, inputScale: inputScale, inputZeroPoint: inputZeroPoint,
                                                  outputScale: outputScale, outputZeroPoint: outputZeroPoint))
            }
            if tables.contains(where: { $0 != nil }) {
                return RequantizingConcatenationKernel(outer: outer, innerBytes: innerBytes, tables: tables)
            }
        }
        return ConcatenateBytesKernel(outer: outer, innerBytes: innerBytes)
    }

    /// `ConcatenationWithScaling` for one input's quantization, for each of the 256 input bytes.
    static func requantizationTable(signed: Bool, inputScale: Float, inputZeroPoint: Int32,
                                            outputScale: Float, outputZeroPoint: Int32) -> AlignedBuffer<UInt8> {
        let scale = inputScale * (1 / outputScale)
        let bias = -Float(inputZeroPoint) * scale
        let (low, high): (Int32, Int32) = signed ? (-128, 127) : (0, 255)
        let table = AlignedBuffer<UInt8>(count: 256, repeating: 0)
        for byte in 0..<256 {
            let x = signed ? Int32(Int8(truncatingIfNeeded: byte)) : Int32(byte)
            let rounded = (Float(x) * scale + bias).rounded(.toNearestOrAwayFromZero)
            // C++'s out-of-range float → int32 conversion gives INT32_MIN on x86-64.
            let value = rounded >= -2_147_483_648 && rounded < 2_147_483_648 ? Int32(rounded) : Int32.min
            table.pointer[byte] = UInt8(truncatingIfNeeded: min(max(value &+ outputZeroPoint, low), high))
        }
        return table
    }
}

/// Interleaves inputs: for each of `outer` blocks, copies each input's next block of bytes.
/// The eval of PACK and of CONCATENATION without requantization.
final class ConcatenateBytesKernel: Kernel {
    let outer: Int
    let innerBytes: [Int]

    init(outer: Int, innerBytes: [Int]) {
        // Nothing to copy: skip the outer loop too (it may be long over empty inputs).
        self.outer = innerBytes.allSatisfy { $0 == 0 } ? 0 : outer
        self.innerBytes = innerBytes
    }

    func eval(_ args: KernelArguments) {
        var out = args.outputs[0]
        innerBytes.withUnsafeBufferPointer { bytes in
            for o in 0..<outer {
                for i in 0..<bytes.count {
                    let n = bytes[i]
                    guard n > 0 else { continue }
                    out.copyMemory(from: args.inputs[i].unsafelyUnwrapped + o &* n, byteCount: n)
                    out += n
                }
            }
        }
    }
}

/// A FLOAT32 concatenation followed by its fused activation's clamp.
final class ClampingConcatenationKernel: Kernel {
    let inner: ConcatenateBytesKernel
    let count: Int
    let low: Float, high: Float

    init(_ inner: ConcatenateBytesKernel, count: Int, range: (min: Float, max: Float)) {
        self.inner = inner
        self.count = count
        (low, high) = range
    }

    func eval(_ args: KernelArguments) {
        inner.eval(args)
        let out = args.output(0, as: Float.self)
        for i in 0..<count { out[i] = min(max(out[i], low), high) }
    }
}

/// An 8-bit concatenation where some inputs go through their 256-entry requantization table
/// (nil: copied as they are).
final class RequantizingConcatenationKernel: Kernel {
    let outer: Int
    let innerBytes: [Int]
    let tables: [AlignedBuffer<UInt8>?]

    init(outer: Int, innerBytes: [Int], tables: [AlignedBuffer<UInt8>?]) {
        self.outer = innerBytes.allSatisfy { $0 == 0 } ? 0 : outer
        self.innerBytes = innerBytes
        self.tables = tables
    }

    func eval(_ args: KernelArguments) {
        var out = args.output(0, as: UInt8.self)
        for o in 0..<outer {
            for (i, bytes) in innerBytes.enumerated() where bytes > 0 {
                let input = args.input(i, as: UInt8.self) + o &* bytes
                if let table = tables[i]?.pointer {
                    for j in 0..<bytes { out[j] = table[Int(input[j])] }
                } else {
                    out.update(from: input, count: bytes)
                }
                out += bytes
            }
        }
    }
}

import TFLiteCore

/// PAD and PADV2: surrounds the input with a constant, by the constant `[rank, 2]` paddings
/// (INT32, INT64, INT16 or INT8; non-negative). The value is PADV2's constant scalar input, else
/// 0 — for quantized INT8/UINT8/INT16 the output's zero point, as LiteRT's pad.cc; a quantized
/// pad value must have the output's scale and zero point. Any fixed-size type, rank ≤ 5; the
/// input's bytes are copied unchanged (like LiteRT, input and output quantization are not
/// compared).
package enum Pad {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...3, outputs: 1)
        let input = try context.input(0), output = try context.output(0), paddingsTensor = try context.input(1)
        guard input.type == output.type else {
            throw .unsupportedType("input is \(input.type.schemaName) but output is \(output.type.schemaName)")
        }
        guard let size = input.type.byteSize else { throw .unsupportedType("\(input.type.schemaName) tensors cannot be padded") }
        let rank = input.rank
        guard rank <= 5 else { throw .invalidShape("PAD takes rank ≤ 5, got \(rank)") }
        guard paddingsTensor.shape == [rank, 2] else {
            throw .invalidShape("paddings must have shape [\(rank), 2], got \(paddingsTensor.shape)")
        }
        // A scalar's [0, 2] paddings hold no data to read.
        guard let paddings = rank == 0 ? [] : constantPaddings(paddingsTensor), paddings.count >= 2 * rank else {
            throw .notConstant("the paddings of PAD must be a constant INT32, INT64, INT16 or INT8 tensor")
        }
        var shape: [Int] = [], before: [Int] = []
        for d in 0..<rank {
            let low = paddings[2 * d], high = paddings[2 * d + 1]
            guard low >= 0, high >= 0 else { throw .invalidShape("paddings \(Array(paddings.prefix(2 * rank))) must not be negative") }
            guard low <= Int(Int32.max), high <= Int(Int32.max), input.shape[d] + low + high <= Int(Int32.max) else {
                throw .tooLarge("paddings \(Array(paddings.prefix(2 * rank))) are too large")
            }
            shape.append(input.shape[d] + low + high)
            before.append(low)
        }
        try context.setOutputShape(0, shape)

        // LiteRT pads UINT8 always, and INT8/INT16 when quantized, through the zero point.
        let quantized = input.type == .uint8 || ((input.type == .int8 || input.type == .int16) && input.quantization != nil)
        var value = [UInt8](repeating: 0, count: size)
        if let constant = context.optionalInput(2) {
            guard constant.type == input.type else {
                throw .unsupportedType("the pad value is \(constant.type.schemaName) but the input is \(input.type.schemaName)")
            }
            guard constant.elementCount == 1 else { throw .invalidShape("the pad value must be one element, got shape \(constant.shape)") }
            guard let data = constant.data, data.count >= size else { throw .notConstant("the pad value of PADV2 must be constant") }
            if quantized, quantizationPair(constant) != quantizationPair(output) {
                throw .invalidQuantization("the pad value must have the output's scale and zero point")
            }
            value = Array(data.prefix(size))
        } else if quantized {
            let zeroPoint = quantizationPair(output).zeroPoint
            guard let range = input.type.quantizedRange, zeroPoint >= Int64(range.min), zeroPoint <= Int64(range.max) else {
                throw .invalidQuantization("output zero point \(zeroPoint) is outside the \(input.type.schemaName) range")
            }
            withUnsafeBytes(of: zeroPoint.littleEndian) { value = Array($0.prefix(size)) }
        }
        return PadKernel(input: input.shape, output: shape, before: before, elementSize: size, value: value)
    }

    /// The paddings as integers, whatever integer type they are stored in.
    static func constantPaddings(_ tensor: TensorDescription) -> [Int]? {
        switch tensor.type {
        case .int32, .int64: tensor.constantIntegers()
        case .int16: tensor.constantValues(as: Int16.self).map { $0.map(Int.init) }
        case .int8: tensor.constantValues(as: Int8.self).map { $0.map(Int.init) }
        default: nil
        }
    }

    /// A tensor's per-tensor quantization as LiteRT's `params` holds it: scale and zero point,
    /// both 0 when the tensor has none.
    static func quantizationPair(_ tensor: TensorDescription) -> QuantizationPair {
        QuantizationPair(scale: tensor.quantization?.scales.first ?? 0, zeroPoint: tensor.quantization?.zeroPoints.first ?? 0)
    }

    struct QuantizationPair: Equatable {
        var scale: Float
        var zeroPoint: Int64
    }
}

/// Pads over dimensions simplified at prepare: a dimension without padding merges into the one
/// above it, so each copied row is as long as it can be. Eval fills whole padding slabs at once
/// and copies each input row between its two fills; nothing is written twice.
final class PadKernel: Kernel {
    /// Per simplified dimension: output size, padding before, input size, and the strides.
    let outputCounts: [Int], before: [Int], inputCounts: [Int]
    let outputStrides: [Int], inputStrides: [Int]
    let elementSize: Int
    let value: [UInt8]
    /// The fill byte when all of the pad value's bytes are equal (a memset fill).
    let fillByte: UInt8?
    let total: Int

    init(input: [Int], output: [Int], before padBefore: [Int], elementSize: Int, value: [UInt8]) {
        var o: [Int] = [], b: [Int] = [], i: [Int] = []
        for d in 0..<input.count {
            if let last = o.last, output[d] == input[d] {
                o[o.count - 1] = last * output[d]
                b[b.count - 1] *= output[d]
                i[i.count - 1] *= input[d]
            } else {
                o.append(output[d])
                b.append(padBefore[d])
                i.append(input[d])
            }
        }
        if o.isEmpty { (o, b, i) = ([1], [0], [1]) }
        outputCounts = o
        before = b
        inputCounts = i
        outputStrides = rowMajorStrides(o)
        inputStrides = rowMajorStrides(i)
        self.elementSize = elementSize
        self.value = value
        fillByte = value.allSatisfy { $0 == value[0] } ? value[0] : nil
        total = o.reduce(1, *)
    }

    func eval(_ args: KernelArguments) {
        guard total > 0 else { return }
        let out = args.outputs[0]
        if inputCounts.contains(0) {
            fill(out, count: total)
            return
        }
        pad(level: 0, args.inputs[0].unsafelyUnwrapped, out)
    }

    private func pad(level: Int, _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        let outStride = outputStrides[level] * elementSize, inStride = inputStrides[level] * elementSize
        let low = before[level], count = inputCounts[level], high = outputCounts[level] - low - count
        fill(output, count: low * outputStrides[level])
        var out = output + low * outStride
        if level == outputCounts.count - 1 {
            out.copyMemory(from: input, byteCount: count * inStride)
            out += count * outStride
        } else {
            var from = input
            for _ in 0..<count {
                pad(level: level + 1, from, out)
                from += inStride
                out += outStride
            }
        }
        fill(out, count: high * outputStrides[level])
    }

    /// Writes the pad value to `count` elements.
    @inline(__always)
    private func fill(_ destination: UnsafeMutableRawPointer, count: Int) {
        guard count > 0 else { return }
        if let byte = fillByte {
            destination.initializeMemory(as: UInt8.self, repeating: byte, count: count * elementSize)
            return
        }
        value.withUnsafeBytes { pattern in
            switch elementSize {
            case 2: destination.initializeMemory(as: UInt16.self, repeating: pattern.loadUnaligned(as: UInt16.self), count: count)
            case 4: destination.initializeMemory(as: UInt32.self, repeating: pattern.loadUnaligned(as: UInt32.self), count: count)
            case 8: destination.initializeMemory(as: UInt64.self, repeating: pattern.loadUnaligned(as: UInt64.self), count: count)
            default:
                let source = pattern.baseAddress.unsafelyUnwrapped
                for k in 0..<count { (destination + k * elementSize).copyMemory(from: source, byteCount: elementSize) }
            }
        }
    }
}

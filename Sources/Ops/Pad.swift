import TFLiteCore

/// PAD (and PADV2's constant value): surrounds the input with constant values, by the constant
/// `[rank, 2]` paddings. Pads FLOAT32 with 0 (or the given value), INT8/UINT8 with the output's
/// zero point; any fixed-size type; rank ≤ 5.
package enum Pad {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...3, outputs: 1)
        let input = try context.input(0), output = try context.output(0)
        guard input.type == output.type, let size = input.type.byteSize else { throw .unsupportedType("input and output types must agree") }
        guard let paddings = try context.input(1).constantIntegers() else { throw .notConstant("the paddings must be constant") }
        guard input.rank <= 5, paddings.count == input.rank * 2 else { throw .invalidShape("paddings must be [\(input.rank), 2]") }
        guard paddings.allSatisfy({ $0 >= 0 && $0 < 1 << 24 }) else { throw .invalidShape("paddings \(paddings) must be non-negative") }
        var shape: [Int] = []
        for d in 0..<input.rank {
            let low: Int = paddings[2 * d], high: Int = paddings[2 * d + 1]
            shape.append(input.shape[d] + low + high)
        }
        try context.setOutputShape(0, shape)
        var value = [UInt8](repeating: 0, count: size)
        if let constant = context.optionalInput(2) {
            guard constant.type == input.type, constant.elementCount == 1, let data = constant.data, data.count >= size else {
                throw .notConstant("the pad value must be a constant scalar of the input's type")
            }
            value = Array(data.prefix(size))
        } else if input.type == .int8 || input.type == .uint8 {
            let (_, zeroPoint) = try output.perTensorQuantization("output")
            value = [UInt8(truncatingIfNeeded: zeroPoint)]
        }
        if input.type == .int8 || input.type == .uint8 {
            let (si, zi) = try input.perTensorQuantization("input")
            let (so, zo) = try output.perTensorQuantization("output")
            guard si == so, zi == zo else { throw .invalidQuantization("input and output quantization must be equal") }
        }
        let before: [Int] = (0..<input.rank).map { d in paddings[2 * d] }
        return PadKernel(input: input.shape, output: shape, before: before, elementSize: size, value: value)
    }
}

final class PadKernel: Kernel {
    let inputShape: [Int], outputShape: [Int], before: [Int]
    let elementSize: Int
    let value: [UInt8]

    init(input: [Int], output: [Int], before: [Int], elementSize: Int, value: [UInt8]) {
        inputShape = input
        outputShape = output
        self.before = before
        self.elementSize = elementSize
        self.value = value
    }

    func eval(_ args: KernelArguments) {
        let out = args.outputs[0]
        let total = outputShape.reduce(1, *)
        // Fill with the pad value, then copy the input's innermost rows into place.
        value.withUnsafeBytes { pad in
            if pad.allSatisfy({ $0 == pad[0] }) {
                out.initializeMemory(as: UInt8.self, repeating: pad[0], count: total * elementSize)
            } else {
                for i in 0..<total { (out + i * elementSize).copyMemory(from: pad.baseAddress.unsafelyUnwrapped, byteCount: elementSize) }
            }
        }
        guard let input = args.inputs[0], inputShape.allSatisfy({ $0 > 0 }) else { return }
        let rank = inputShape.count
        if rank == 0 { out.copyMemory(from: input, byteCount: elementSize); return }
        let rowBytes = inputShape[rank - 1] * elementSize
        let rows = inputShape.dropLast().reduce(1, *)
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        for row in 0..<rows {
            var offset = 0
            for d in 0..<(rank - 1) { offset = offset * outputShape[d] + index[d] + before[d] }
            offset = offset * outputShape[rank - 1] + before[rank - 1]
            (out + offset * elementSize).copyMemory(from: input + row * rowBytes, byteCount: rowBytes)
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                if index[d] < inputShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }
}

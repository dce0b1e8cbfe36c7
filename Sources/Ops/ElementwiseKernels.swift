#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TFLiteCore

/// An 8-bit → 8-bit op as a 256-entry table, filled at prepare by running the reference
/// integer arithmetic on every possible input byte: eval is one lookup per element.
final class ByteTableKernel: Kernel {
    let table: AlignedBuffer<UInt8>
    let count: Int

    /// `compute` maps an input value (as Int32, signed for INT8) to the output value.
    init(inputSigned: Bool, count: Int, compute: (Int32) -> Int32) {
        self.count = count
        table = AlignedBuffer(count: 256, repeating: 0)
        for i in 0..<256 {
            let x = inputSigned ? Int32(Int8(truncatingIfNeeded: i)) : Int32(i)
            table.pointer[i] = UInt8(truncatingIfNeeded: compute(x))
        }
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: UInt8.self), output = args.output(0, as: UInt8.self)
        let t = table.pointer
        for i in 0..<count { output[i] = t[Int(input[i])] }
    }
}

/// An 8-bit → FLOAT32 op (DEQUANTIZE) as a 256-entry table.
final class ByteToFloatTableKernel: Kernel {
    let table: AlignedBuffer<Float>
    let count: Int

    init(inputSigned: Bool, count: Int, compute: (Int32) -> Float) {
        self.count = count
        table = AlignedBuffer(count: 256, repeating: 0)
        for i in 0..<256 {
            table.pointer[i] = compute(inputSigned ? Int32(Int8(truncatingIfNeeded: i)) : Int32(i))
        }
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: UInt8.self), output = args.output(0, as: Float.self)
        let t = table.pointer
        for i in 0..<count { output[i] = t[Int(input[i])] }
    }
}

/// A FLOAT32 → FLOAT32 elementwise function.
final class FloatUnaryKernel: Kernel {
    enum Function { case clamp(Float, Float), hardSwish, logistic, leakyRelu(Float) }
    let function: Function
    let count: Int

    init(_ function: Function, count: Int) {
        self.function = function
        self.count = count
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
        switch function {
        case .clamp(let lo, let hi):
            for i in 0..<count { output[i] = min(max(input[i], lo), hi) }
        case .hardSwish:
            for i in 0..<count {
                let x = input[i]
                output[i] = x * min(max(x + 3, 0), 6) / 6
            }
        case .logistic:
            for i in 0..<count {
                let x = input[i]
                // TFLite's reference cut-offs.
                if x > 16.619047164916992188 { output[i] = 1 } else if x < -9 { output[i] = expf(x) } else {
                    output[i] = 1 / (1 + expf(-x))
                }
            }
        case .leakyRelu(let alpha):
            for i in 0..<count { output[i] = input[i] > 0 ? input[i] : input[i] * alpha }
        }
    }
}

/// Checks a one-input, one-output elementwise op: same shape out, the types given.
func prepareElementwise(_ context: inout PrepareContext, types: Set<DataType>) throws(OpError) -> (TensorDescription, TensorDescription) {
    try context.expect(inputs: 1...1, outputs: 1)
    let input = try context.input(0)
    guard types.contains(input.type) else { throw .unsupportedType("input type \(input.type.schemaName) is not supported") }
    try context.setOutputShape(0, input.shape)
    return (input, try context.output(0))
}

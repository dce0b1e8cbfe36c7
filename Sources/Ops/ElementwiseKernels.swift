#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TFLiteCore
#if arch(x86_64)
import MicrokernelsVNNI
#endif

// Kernels shared by the one-input elementwise ops (RELU family, LEAKY_RELU, HARD_SWISH,
// LOGISTIC, QUANTIZE, DEQUANTIZE): 8-bit inputs through a 256-entry table, FLOAT32 functions.

/// Elements per range below which splitting an elementwise loop costs more than it saves (a
/// parallel loop costs the threads ~1.5 µs in all).
let elementwiseParallelGrain = 1 << 13

/// An 8-bit → 8-bit elementwise op as a 256-entry table, filled at prepare by running the
/// reference integer arithmetic on every possible input byte: eval is one lookup per element,
/// and gives the reference's bytes by construction. With AVX512_VBMI the lookups take 64 bytes
/// per pair of `vpermi2b` (`VNNIKernels.byteTable`).
final class ByteTableKernel: Kernel {
    /// `table[byte]`: the output byte for the input whose bit pattern is `byte`.
    let table: AlignedBuffer<UInt8>
    let count: Int
    let vectorLookups: Bool
    /// The op's input the table maps (0, or 1 for a binary op whose input 0 is a constant).
    let inputIndex: Int

    /// `compute` maps an input value (signed for INT8 inputs) to the output value, already in
    /// the output type's range (its low 8 bits are stored).
    init(inputSigned: Bool, count: Int, isa: KernelISA, inputIndex: Int = 0, compute: (Int32) -> Int32) {
        self.count = count
        self.inputIndex = inputIndex
        vectorLookups = isa.hasByteTableLookups
        table = AlignedBuffer(count: 256, repeating: 0)
        for byte in 0..<256 {
            let x = inputSigned ? Int32(Int8(truncatingIfNeeded: byte)) : Int32(byte)
            table.pointer[byte] = UInt8(truncatingIfNeeded: compute(x))
        }
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(inputIndex, as: UInt8.self), output = args.output(0, as: UInt8.self)
        let t = table.pointer
        #if arch(x86_64)
        if vectorLookups {
            args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, t)) { c, range in
                let (input, output, t) = c
                VNNIKernels.byteTable(input + range.lowerBound, output + range.lowerBound, count: range.count, table: t)
            }
            return
        }
        #endif
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, t)) { c, range in
            let (input, output, t) = c
            for i in range { output[i] = t[Int(input[i])] }
        }
    }
}

/// An 8-bit → 16-bit op (QUANTIZE to INT16) as a 256-entry table.
final class ByteToInt16TableKernel: Kernel {
    let table: AlignedBuffer<Int16>
    let count: Int

    /// `compute` returns a value in the INT16 range.
    init(inputSigned: Bool, count: Int, compute: (Int32) -> Int32) {
        self.count = count
        table = AlignedBuffer(count: 256, repeating: 0)
        for byte in 0..<256 {
            table.pointer[byte] = Int16(truncatingIfNeeded: compute(inputSigned ? Int32(Int8(truncatingIfNeeded: byte)) : Int32(byte)))
        }
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: UInt8.self), output = args.output(0, as: Int16.self)
        let t = table.pointer
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, t)) { c, range in
            let (input, output, t) = c
            for i in range { output[i] = t[Int(input[i])] }
        }
    }
}

/// An 8-bit → FLOAT32 op (DEQUANTIZE) as a 256-entry table.
final class ByteToFloatTableKernel: Kernel {
    let table: AlignedBuffer<Float>
    let count: Int

    init(inputSigned: Bool, count: Int, compute: (Int32) -> Float) {
        self.count = count
        table = AlignedBuffer(count: 256, repeating: 0)
        for byte in 0..<256 {
            table.pointer[byte] = compute(inputSigned ? Int32(Int8(truncatingIfNeeded: byte)) : Int32(byte))
        }
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: UInt8.self), output = args.output(0, as: Float.self)
        let t = table.pointer
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, t)) { c, range in
            let (input, output, t) = c
            for i in range { output[i] = t[Int(input[i])] }
        }
    }
}

/// A FLOAT32 → FLOAT32 elementwise function, computed as TFLite's reference kernels do.
final class FloatUnaryKernel: Kernel {
    enum Function {
        /// `val > hi ? hi : val < lo ? lo : val` (reference Relu6/Relu1); RELU's upper bound is +∞.
        case clamp(Float, Float)
        /// `x · min(6, max(0, x + 3)) / 6` (reference HardSwish).
        case hardSwish
        /// `1 / (1 + e^−x)` with the reference cut-offs.
        case logistic
        /// `x > 0 ? x : x · alpha`.
        case leakyRelu(Float)
    }

    let function: Function
    let count: Int

    init(_ function: Function, count: Int) {
        self.function = function
        self.count = count
    }

    func eval(_ args: KernelArguments) {
        let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
        let function = function
        args.runner.forEachRange(count: count, grain: elementwiseParallelGrain, context: (input, output, function)) { c, range in
            let (input, output, function) = c
            switch function {
            case .clamp(let lo, let hi):
                for i in range {
                    let x = input[i]
                    output[i] = x > hi ? hi : x < lo ? lo : x
                }
            case .hardSwish:
                KernelISA.current.hardSwish(input + range.lowerBound, output + range.lowerBound, count: range.count)
            case .logistic:
                for i in range { output[i] = FloatUnaryKernel.logistic(input[i]) }
            case .leakyRelu(let alpha):
                for i in range {
                    let x = input[i]
                    output[i] = x > 0 ? x : x * alpha
                }
            }
        }
    }

    /// reference/logistic.h: 1 above 16.619047164916992188, e^x below −9, else 1 / (1 + e^−x),
    /// with the C library's `expf` as `std::exp(float)`.
    @inline(__always)
    static func logistic(_ x: Float) -> Float {
        if x > 16.619047164916992188 { return 1 }
        if x < -9 { return expf(x) }
        return 1 / (1 + expf(-x))
    }
}

/// C++'s `static_cast<int32_t>(float)` as x86-64 executes it (cvttss2si): truncation toward
/// zero, and the "integer indefinite" Int32.min for NaN and values outside the Int32 range
/// (undefined behaviour in C++, but what LiteRT computes on the machines its goldens come from).
@inline(__always)
func int32TruncatingAsX86(_ value: Float) -> Int32 {
    value > -2_147_483_904 && value < 2_147_483_648 ? Int32(value) : Int32.min
}

/// How a per-channel quantized tensor lays out its channels: `outer` blocks of `channels`
/// channels of `inner` contiguous elements (row-major, the channel dimension in the middle).
struct ChannelLayout {
    let outer: Int, channels: Int, inner: Int

    /// Checks the per-channel parameters against `tensor`'s shape.
    init(_ tensor: TensorDescription, _ q: QuantizationParameters, _ what: String) throws(OpError) {
        let d = q.quantizedDimension
        guard d >= 0, d < tensor.rank else {
            throw .invalidQuantization("\(what) quantized dimension \(d) is outside its rank \(tensor.rank)")
        }
        guard q.scales.count == tensor.shape[d] else {
            throw .invalidQuantization("\(what) has \(q.scales.count) scales for \(tensor.shape[d]) channels")
        }
        guard q.zeroPoints.count == q.scales.count || q.zeroPoints.count == 1 else {
            throw .invalidQuantization("\(what) has \(q.zeroPoints.count) zero points for \(q.scales.count) scales")
        }
        outer = tensor.shape[..<d].reduce(1, *)
        channels = tensor.shape[d]
        inner = tensor.shape[(d + 1)...].reduce(1, *)
    }
}

/// Checks a one-input, one-output elementwise op: the input is one of `types`, the output takes
/// its shape. Returns the input and the (reshaped) output.
func prepareElementwise(_ context: inout PrepareContext, types: Set<DataType>) throws(OpError) -> (TensorDescription, TensorDescription) {
    try context.expect(inputs: 1...1, outputs: 1)
    let input = try context.input(0)
    guard types.contains(input.type) else { throw .unsupportedType("input type \(input.type.schemaName) is not supported") }
    try context.setOutputShape(0, input.shape)
    return (input, try context.output(0))
}

/// Like `prepareElementwise`, also requiring the output to have the input's type (TFLite's
/// `TF_LITE_ENSURE_TYPES_EQ` in the activations' prepare).
func prepareSameTypeElementwise(_ op: String, _ context: inout PrepareContext,
                                types: Set<DataType>) throws(OpError) -> (TensorDescription, TensorDescription) {
    let (input, output) = try prepareElementwise(&context, types: types)
    guard output.type == input.type else {
        throw .unsupportedType("\(op) output must be \(input.type.schemaName) like its input, got \(output.type.schemaName)")
    }
    return (input, output)
}

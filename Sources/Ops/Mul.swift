import MicrokernelsAVX512
import TFLiteCore

/// MUL: `out = act(a · b)` with NumPy broadcasting. FLOAT32, INT32 (wrapping), INT8 and UINT8
/// with TFLite's reference integer arithmetic (mul.cc, reference/mul.h,
/// reference/integer_ops/mul.h), bit for bit.
package enum Mul {
    package static func prepare(_ options: ArithmeticOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let prepared = try BinaryArithmetic.prepareShapes(.mul, &context, types: [.float32, .int32, .int8, .uint8])
        switch prepared.output.type {
        case .int8, .uint8:
            let parameters = try QuantizedMulParameters(prepared, activation: options.activation)
            let signed = prepared.output.type == .int8
            if let table = BinaryArithmetic.constantOperandTable(prepared, isa: context.kernelISA, compute: parameters.reference) { return table }
            #if arch(x86_64)
            if context.kernelISA >= .avx512 { return VectorQuantizedMulKernel(plan: prepared.plan, parameters: parameters, signed: signed) }
            #endif
            if prepared.plan.outputCount >= PairTableKernel.threshold {
                return PairTableKernel(plan: prepared.plan, signed: signed, compute: parameters.reference)
            }
            return QuantizedMulKernel(plan: prepared.plan, parameters: parameters, signed: signed)
        default:
            return try BinaryArithmetic.unquantizedKernel(.mul, prepared, activation: options.activation, isa: context.kernelISA)
        }
    }
}

/// The integer arithmetic of quantized MUL: one multiplier for s1·s2/s_out applied to the
/// product of the zero-point-free inputs.
package struct QuantizedMulParameters: Sendable {
    package var input1Offset: Int32       // −zero point
    package var input2Offset: Int32
    package var outputOffset: Int32       // +zero point
    package var outputMultiplier: QuantizedMultiplier
    package var activationMin: Int32
    package var activationMax: Int32

    init(_ prepared: BinaryArithmetic.Prepared, activation: FusedActivation) throws(OpError) {
        let (s1, z1) = try BinaryArithmetic.quantization(of: prepared.input1, "MUL input 1")
        let (s2, z2) = try BinaryArithmetic.quantization(of: prepared.input2, "MUL input 2")
        let (so, zo) = try BinaryArithmetic.quantization(of: prepared.output, "MUL output")
        guard let range = prepared.output.type.quantizedRange else { throw .unsupportedType("MUL output \(prepared.output.type.schemaName)") }
        input1Offset = -z1
        input2Offset = -z2
        outputOffset = zo
        // mul.cc: `double real_multiplier = input1->params.scale * input2->params.scale /
        // output->params.scale;` — the arithmetic is in float; only the result is widened.
        let realMultiplier = Double(s1 * s2 / so)
        guard realMultiplier.isFinite else {
            throw .invalidQuantization("MUL rescale factor \(s1) · \(s2) / \(so) is not finite")
        }
        outputMultiplier = QuantizedMultiplier(realMultiplier)
        (activationMin, activationMax) = quantizedActivationRange(try activation.kind(), scale: so, zeroPoint: zo,
                                                                  qmin: range.min, qmax: range.max)
    }

    /// The reference kernel's output for one pair of input values (`MulElementwise`).
    package func reference(_ x1: Int32, _ x2: Int32) -> Int32 {
        let product = (input1Offset &+ x1) &* (input2Offset &+ x2)
        let output = outputOffset &+ multiplyByQuantizedMultiplier(product, outputMultiplier.multiplier, outputMultiplier.shift)
        return min(activationMax, max(activationMin, output))
    }
}

/// Quantized MUL computed per element: the zero-point-free product and one branch-free multiplier per element.
final class QuantizedMulKernel: Kernel {
    let plan: BroadcastPlan
    let signed: Bool
    let offset1: Int32, offset2: Int32, outputOffset: Int32, minimum: Int32, maximum: Int32
    let multiplier: PreparedMultiplier

    init(plan: BroadcastPlan, parameters p: QuantizedMulParameters, signed: Bool) {
        self.plan = plan
        self.signed = signed
        offset1 = p.input1Offset
        offset2 = p.input2Offset
        outputOffset = p.outputOffset
        minimum = p.activationMin
        maximum = p.activationMax
        multiplier = PreparedMultiplier(p.outputMultiplier)
    }

    struct Function<Element: FixedWidthInteger>: BinaryFunction {
        let offset1: Int32, offset2: Int32, offset: Int32, lo: Int32, hi: Int32
        let multiplier: PreparedMultiplier

        @inline(__always)
        func callAsFunction(_ a: Element, _ b: Element) -> Element {
            let product = (offset1 &+ Int32(a)) &* (offset2 &+ Int32(b))
            return Element(truncatingIfNeeded: min(hi, max(lo, offset &+ multiplier.apply(product))))
        }
    }

    func eval(_ args: KernelArguments) {
        if signed { run(Int8.self, args) } else { run(UInt8.self, args) }
    }

    @inline(__always)
    private func run<Element: FixedWidthInteger>(_: Element.Type, _ args: KernelArguments) {
        let f = Function<Element>(offset1: offset1, offset2: offset2, offset: outputOffset, lo: minimum, hi: maximum,
                                  multiplier: multiplier)
        plan.apply(f, args.input(0, as: Element.self), args.input(1, as: Element.self), args.output(0, as: Element.self),
                   runner: args.runner)
    }
}

#if arch(x86_64)
/// Quantized MUL at AVX-512: the product and the output's multiplier 16 lanes at a time
/// (`InstructionSetKernels.quantizedMul`), over each contiguous segment of the broadcast — 4–5×
/// the pair table's speed, whose lookups went one element at a time.
final class VectorQuantizedMulKernel: Kernel {
    let plan: BroadcastPlan
    let signed: Bool
    let offsets: (Int32, Int32)
    /// The output's multiplier in 16 lanes.
    let output: RequantizationBuffers
    let outputOffset: Int32, minimum: Int32, maximum: Int32

    init(plan: BroadcastPlan, parameters p: QuantizedMulParameters, signed: Bool) {
        self.plan = plan
        self.signed = signed
        offsets = (p.input1Offset, p.input2Offset)
        output = RequantizationBuffers(Array(repeating: p.outputMultiplier, count: 16), paddedTo: 16)
        outputOffset = p.outputOffset
        minimum = p.activationMin
        maximum = p.activationMax
    }

    /// Elements per range at least: ~0.1 ns each, for ranges of ~2 µs against ~1 µs for
    /// handing a loop to the threads.
    static let parallelGrain = 1 << 14

    func eval(_ args: KernelArguments) {
        let context = (self, args.inputs[0].unsafelyUnwrapped, args.inputs[1].unsafelyUnwrapped, args.outputs[0])
        args.runner.forEachRange(count: plan.outputCount, grain: Self.parallelGrain, context: context) { c, elements in
            let (kernel, a, b, out) = c
            let plan = kernel.plan, contiguous1 = plan.innerStride1 != 0, contiguous2 = plan.innerStride2 != 0
            let output = kernel.output.vectors
            plan.forEachSegment(in: elements) { o, o1, o2, n in
                MicrokernelsAVX512.InstructionSetKernels.quantizedMul(
                    a + o1, contiguous: contiguous1, b + o2, contiguous: contiguous2, signed: kernel.signed, count: n, offsets: kernel.offsets,
                    output: output, outputOffset: kernel.outputOffset, minimum: kernel.minimum, maximum: kernel.maximum, into: out + o)
            }
        }
    }
}
#endif

import Microkernels
import MicrokernelsAVX512
import TFLiteCore

/// An INT8/UINT8 ADD a convolution can run on the rows it stores (`QuantizedResidualAddFusing`).
protocol QuantizedRowAdding: Kernel {
    /// Whether it adds two inputs of the output's shape, elementwise, in the float form, on
    /// `signed` (INT8) or UINT8 values.
    func runsOnRows(signed: Bool) -> Bool
    /// `count` elements of the two inputs (`runsOnRows`) into `out`, which may be either
    /// input: the arithmetic of the ADD's `eval`.
    func addElements(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int, into out: UnsafeMutableRawPointer)
}

/// ADD: `out = act(a + b)` with NumPy broadcasting (ranks up to 8). FLOAT32, INT32 (wrapping),
/// INT8 and UINT8 with TFLite's reference integer arithmetic (add.cc, reference/add.h,
/// reference/integer_ops/add.h), bit for bit.
package enum Add {
    package static func prepare(_ options: ArithmeticOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let prepared = try BinaryArithmetic.prepareShapes(.add, &context, types: [.float32, .int32, .int8, .uint8])
        switch prepared.output.type {
        case .int8, .uint8:
            let parameters = try QuantizedAddParameters(prepared, activation: options.activation, subtract: false)
            if let table = BinaryArithmetic.constantOperandTable(prepared, isa: context.kernelISA, compute: parameters.reference) { return table }
            return parameters.kernel(plan: prepared.plan, signed: prepared.output.type == .int8, isa: context.kernelISA)
        default:
            return try BinaryArithmetic.unquantizedKernel(.add, prepared, activation: options.activation, isa: context.kernelISA)
        }
    }
}

/// The integer arithmetic of quantized ADD and SUB, as TFLite prepares it (add.cc `Prepare`,
/// sub.cc `PrepareGeneralSubOp`): both inputs are brought to a common scale of twice the larger
/// input scale with 20 bits of headroom, summed (or subtracted), and rescaled to the output.
package struct QuantizedAddParameters: Sendable {
    package static let leftShift: Int32 = 20
    package var input1Offset: Int32       // −zero point
    package var input2Offset: Int32
    package var outputOffset: Int32       // +zero point
    package var input1Multiplier: QuantizedMultiplier
    package var input2Multiplier: QuantizedMultiplier
    package var outputMultiplier: QuantizedMultiplier
    package var activationMin: Int32
    package var activationMax: Int32
    /// SUB: scaled input 2 is subtracted (reference/sub.h) instead of added.
    package var subtract: Bool

    init(_ prepared: BinaryArithmetic.Prepared, activation: FusedActivation, subtract: Bool) throws(OpError) {
        let op = subtract ? "SUB" : "ADD"
        let (s1, z1) = try BinaryArithmetic.quantization(of: prepared.input1, "\(op) input 1")
        let (s2, z2) = try BinaryArithmetic.quantization(of: prepared.input2, "\(op) input 2")
        let (so, zo) = try BinaryArithmetic.quantization(of: prepared.output, "\(op) output")
        guard let range = prepared.output.type.quantizedRange else { throw .unsupportedType("\(op) output \(prepared.output.type.schemaName)") }
        input1Offset = -z1
        input2Offset = -z2
        outputOffset = zo
        // As add.cc: `2 * std::max(float, float)` is a float; the divisions are in double, the
        // output's denominator `(1 << 20) * scale` in float.
        let twiceMaxInputScale = Double(2 * max(s1, s2))
        let realInput1Multiplier = Double(s1) / twiceMaxInputScale
        let realInput2Multiplier = Double(s2) / twiceMaxInputScale
        let realOutputMultiplier = twiceMaxInputScale / Double(Float(1 << Self.leftShift) * so)
        input1Multiplier = try Self.smallerThanOne(realInput1Multiplier, "\(op) input 1")
        input2Multiplier = try Self.smallerThanOne(realInput2Multiplier, "\(op) input 2")
        // ADD takes the output multiplier through QuantizeMultiplierSmallerThanOneExp, which
        // aborts on a factor ≥ 1; SUB would take QuantizeMultiplierGreaterThanOne and then shift
        // right by a negative amount (undefined). Both are refused.
        guard realOutputMultiplier < 1 else {
            throw .invalidQuantization("\(op) output scale \(so) is too small for input scales \(s1) and \(s2)")
        }
        outputMultiplier = try Self.smallerThanOne(realOutputMultiplier, "\(op) output")
        let kind = try activation.kind()
        (activationMin, activationMax) = quantizedActivationRange(kind, scale: so, zeroPoint: zo, qmin: range.min, qmax: range.max)
        self.subtract = subtract
    }

    /// TFLite's `QuantizeMultiplierSmallerThanOneExp`: a factor in (0, 1) with shift ≤ 0.
    static func smallerThanOne(_ real: Double, _ what: String) throws(OpError) -> QuantizedMultiplier {
        let q = QuantizedMultiplier(real)
        guard real > 0, real < 1, q.shift <= 0 else {
            throw .invalidQuantization("\(what) rescale factor \(real) is outside (0, 1)")
        }
        return q
    }

    /// The kernel: at AVX-512 the arithmetic 16 lanes at a time; elsewhere a pair table for
    /// large outputs, per-element arithmetic for small ones.
    func kernel(plan: BroadcastPlan, signed: Bool, isa: KernelISA) -> any Kernel {
        #if arch(x86_64)
        if isa >= .avx512 { return VectorQuantizedAddKernel(plan: plan, parameters: self, signed: signed) }
        #endif
        if plan.outputCount >= PairTableKernel.threshold {
            return PairTableKernel(plan: plan, signed: signed, compute: reference)
        }
        return QuantizedAddKernel(plan: plan, parameters: self, signed: signed)
    }

    /// Input `x` (the element's integer value) on the common scale, as the reference computes
    /// `scaled_input_val`.
    @inline(__always)
    package func scaledInput1(_ x: Int32) -> Int32 {
        multiplyByQuantizedMultiplierSmallerThanOneExp((input1Offset &+ x) &* (1 << Self.leftShift),
                                                       input1Multiplier.multiplier, input1Multiplier.shift)
    }

    @inline(__always)
    package func scaledInput2(_ x: Int32) -> Int32 {
        multiplyByQuantizedMultiplierSmallerThanOneExp((input2Offset &+ x) &* (1 << Self.leftShift),
                                                       input2Multiplier.multiplier, input2Multiplier.shift)
    }

    /// The constants of the float form at AVX-512 (`InstructionSetKernels.quantizedAddInFloat`,
    /// whose comment has the argument), where its error bound holds for every pair of input
    /// bytes; nil where it does not (then the three fixed-point multiplications run).
    func floatConstants(signed: Bool) -> QuantizedAddFloats? {
        let mo = Double(outputMultiplier.multiplier), right = -outputMultiplier.shift
        // The output requantization's float form needs a multiplier in [2^30, 2^31) and a right
        // shift of 1 to 31 (RequantizationVectors.fast); the inputs' need nothing.
        guard (Double(1 << 30)..<Double(1 << 31)).contains(mo), (1...31).contains(right) else { return nil }
        let scale = mo * 0x1p-31 * Double(sign: .plus, exponent: -right, significand: 1)
        func k(_ m: QuantizedMultiplier) -> Double {
            Double(m.multiplier) * 0x1p-11 * Double(sign: .plus, exponent: m.shift, significand: 1) * scale
        }
        let k1 = k(input1Multiplier), k2 = subtract ? -k(input2Multiplier) : k(input2Multiplier)
        let u = Double(sign: .plus, exponent: -right - 1, significand: 1)
        let bytes: ClosedRange<Double> = signed ? -128...127 : 0...255
        func largest(_ offset: Int32) -> Double { max(abs(bytes.lowerBound + Double(offset)), abs(bytes.upperBound + Double(offset))) }
        let a = largest(input1Offset) * abs(k1), b = largest(input2Offset) * abs(k2), z = Double(outputOffset)
        // 2s for the scaled inputs' roundings (each within 1 of x·c), u for the sign's term
        // left out, and six roundings of float at most, each by 2^−24 of the largest magnitude
        // they can meet.
        let error = 2 * scale + u + 6 * 0x1p-24 * (a + b + abs(z) + 1)
        var delta = 0x1p-14
        while delta < 2 * error { delta *= 2 }
        // Above 2^−6 too many vectors would be redone (z ± δ stays exact in float: |z| < 2^8).
        guard delta <= 0x1p-6 else { return nil }
        return QuantizedAddFloats(k1: Float(k1), k2: Float(k2), low: Float(z - delta), high: Float(z + delta))
    }

    /// The reference kernel's output for one pair of input values (`AddFunc`, `SubElementwise`).
    package func reference(_ x1: Int32, _ x2: Int32) -> Int32 {
        let scaled1 = scaledInput1(x1), scaled2 = scaledInput2(x2)
        let raw = subtract ? scaled1 &- scaled2 : scaled1 &+ scaled2
        let output = multiplyByQuantizedMultiplierSmallerThanOneExp(raw, outputMultiplier.multiplier, outputMultiplier.shift) &+ outputOffset
        return min(activationMax, max(activationMin, output))
    }
}

/// Quantized ADD and SUB computed per element. `scaled_input_val` depends on one input byte only, so each input gets
/// a 256-entry table of it (input 2's negated for SUB: negating after rounding is exact); eval
/// adds two table entries and applies the output multiplier, which is exactly the reference.
final class QuantizedAddKernel: Kernel {
    let plan: BroadcastPlan
    let signed: Bool
    /// Indexed by the input byte (the bit pattern, for INT8).
    let scaled1: AlignedBuffer<Int32>
    let scaled2: AlignedBuffer<Int32>
    let output: PreparedMultiplier
    let outputOffset: Int32, minimum: Int32, maximum: Int32

    init(plan: BroadcastPlan, parameters p: QuantizedAddParameters, signed: Bool) {
        self.plan = plan
        self.signed = signed
        scaled1 = AlignedBuffer(count: 256, repeating: 0)
        scaled2 = AlignedBuffer(count: 256, repeating: 0)
        for byte in 0..<256 {
            let x = signed ? Int32(Int8(truncatingIfNeeded: byte)) : Int32(byte)
            scaled1.pointer[byte] = p.scaledInput1(x)
            scaled2.pointer[byte] = p.subtract ? -p.scaledInput2(x) : p.scaledInput2(x)
        }
        output = PreparedMultiplier(p.outputMultiplier)
        outputOffset = p.outputOffset
        minimum = p.activationMin
        maximum = p.activationMax
    }

    struct Function<Element: FixedWidthInteger>: BinaryFunction {
        let scaled1: UnsafePointer<Int32>, scaled2: UnsafePointer<Int32>
        let output: PreparedMultiplier
        let offset: Int32, lo: Int32, hi: Int32

        @inline(__always)
        func callAsFunction(_ a: Element, _ b: Element) -> Element {
            let sum = scaled1[Int(UInt8(truncatingIfNeeded: a))] &+ scaled2[Int(UInt8(truncatingIfNeeded: b))]
            return Element(truncatingIfNeeded: min(hi, max(lo, output.apply(sum) &+ offset)))
        }
    }

    func eval(_ args: KernelArguments) {
        if signed { run(Int8.self, args) } else { run(UInt8.self, args) }
    }

    @inline(__always)
    private func run<Element: FixedWidthInteger>(_: Element.Type, _ args: KernelArguments) {
        let f = Function<Element>(scaled1: scaled1.pointer, scaled2: scaled2.pointer, output: output,
                                  offset: outputOffset, lo: minimum, hi: maximum)
        plan.apply(f, args.input(0, as: Element.self), args.input(1, as: Element.self), args.output(0, as: Element.self),
                   runner: args.runner)
    }
}

#if arch(x86_64)
/// Quantized ADD and SUB at AVX-512: the reference's three fixed-point multiplications (each
/// input's, then the output's), 16 lanes at a time (`InstructionSetKernels.quantizedAdd`), over
/// each contiguous segment of the broadcast.
final class VectorQuantizedAddKernel: QuantizedRowAdding {
    let plan: BroadcastPlan
    let signed: Bool
    let subtract: Bool
    let offsets: (Int32, Int32)
    /// Each input's multiplier with the left shift of 20 (`QuantizedAddParameters.leftShift`),
    /// and the output's, in 16 lanes.
    let input1: RequantizationBuffers, input2: RequantizationBuffers, output: RequantizationBuffers
    let outputOffset: Int32, minimum: Int32, maximum: Int32
    /// The float form's constants (`QuantizedAddParameters.floatConstants`), where it is exact.
    let floats: QuantizedAddFloats?

    init(plan: BroadcastPlan, parameters p: QuantizedAddParameters, signed: Bool) {
        self.plan = plan
        self.signed = signed
        subtract = p.subtract
        offsets = (p.input1Offset, p.input2Offset)
        func lanes(_ m: QuantizedMultiplier, leftShift: Int32) -> RequantizationBuffers {
            RequantizationBuffers(Array(repeating: m, count: 16), paddedTo: 16, extraLeftShift: leftShift)
        }
        input1 = lanes(p.input1Multiplier, leftShift: Int32(QuantizedAddParameters.leftShift))
        input2 = lanes(p.input2Multiplier, leftShift: Int32(QuantizedAddParameters.leftShift))
        output = lanes(p.outputMultiplier, leftShift: 0)
        outputOffset = p.outputOffset
        minimum = p.activationMin
        maximum = p.activationMax
        floats = p.floatConstants(signed: signed)
    }

    /// Elements per range at least, for ranges of ~2 µs against ~1 µs for handing a loop to
    /// the threads: an element costs ~1 ns with the three fixed-point multiplications (MobileNetV2's
    /// 14×14×64 and 7×7×160 residual ADDs ran on one thread with the float ops' 8192), ~0.13 ns
    /// in float.
    var parallelGrain: Int { floats == nil ? 1 << 11 : 1 << 14 }

    func runsOnRows(signed: Bool) -> Bool { floats != nil && !subtract && plan.isElementwise && self.signed == signed }

    func addElements(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int, into out: UnsafeMutableRawPointer) {
        guard let floats else { return }
        addInFloat(floats, a, contiguous: true, b, contiguous: true, count: count, into: out)
    }

    /// `count` outputs in the float form (`quantizedAddInFloat`); a side that is not
    /// `contiguous` is one value, repeated.
    @inline(__always)
    private func addInFloat(_ floats: QuantizedAddFloats, _ a: UnsafeRawPointer, contiguous aContiguous: Bool, _ b: UnsafeRawPointer,
                            contiguous bContiguous: Bool, count: Int, into out: UnsafeMutableRawPointer) {
        MicrokernelsAVX512.InstructionSetKernels.quantizedAddInFloat(
            a, contiguous: aContiguous, b, contiguous: bContiguous, signed: signed, count: count, offsets: offsets, floats,
            inputs: (input1.vectors, input2.vectors), subtract: subtract, output: output.vectors, outputOffset: outputOffset,
            minimum: minimum, maximum: maximum, into: out)
    }

    func eval(_ args: KernelArguments) {
        let context = (self, args.inputs[0].unsafelyUnwrapped, args.inputs[1].unsafelyUnwrapped, args.outputs[0])
        args.runner.forEachRange(count: plan.outputCount, grain: parallelGrain, context: context) { c, elements in
            let (kernel, a, b, out) = c
            let plan = kernel.plan, contiguous1 = plan.innerStride1 != 0, contiguous2 = plan.innerStride2 != 0
            let inputs = (kernel.input1.vectors, kernel.input2.vectors), output = kernel.output.vectors
            plan.forEachSegment(in: elements) { o, o1, o2, n in
                if let floats = kernel.floats {
                    kernel.addInFloat(floats, a + o1, contiguous: contiguous1, b + o2, contiguous: contiguous2, count: n, into: out + o)
                    return
                }
                MicrokernelsAVX512.InstructionSetKernels.quantizedAdd(
                    a + o1, contiguous: contiguous1, b + o2, contiguous: contiguous2, signed: kernel.signed, count: n, offsets: kernel.offsets,
                    inputs: inputs, subtract: kernel.subtract, output: output, outputOffset: kernel.outputOffset,
                    minimum: kernel.minimum, maximum: kernel.maximum, into: out + o)
            }
        }
    }
}
#endif

import Ops
import TFLiteCore

/// Runs one op outside any interpreter: prepare with the given tensors, then eval on buffers
/// it allocates. Inputs and outputs are raw bytes.
struct KernelHarness {
    /// Prepared output descriptions (with the shapes prepare set).
    var outputs: [TensorDescription] = []

    /// An input given as typed values, optionally marked constant (visible at prepare time).
    struct Input {
        var description: TensorDescription
        var bytes: [UInt8]
        var isConstant: Bool

        init<T>(_ type: DataType, _ shape: [Int], _ values: [T], quantization: QuantizationParameters? = nil, constant: Bool = false) {
            description = TensorDescription(type: type, shape: shape, quantization: quantization)
            bytes = values.withUnsafeBytes { Array($0) }
            isConstant = constant
        }
    }

    /// Prepares and evaluates; returns each output's bytes.
    static func run(threads: Int = 1, isa: KernelISA = .current, inputs: [Input?], outputs: [TensorDescription],
                    prepare: (inout PrepareContext) throws(OpError) -> any Kernel) throws(OpError) -> [[UInt8]] {
        // Keep input bytes at stable, aligned addresses for the kernel's lifetime.
        let inputBuffers: [UnsafeMutableRawBufferPointer?] = inputs.map { input in
            guard let input else { return nil }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(input.bytes.count, 1), alignment: 64)
            buffer.copyBytes(from: input.bytes)
            return buffer
        }
        defer { inputBuffers.forEach { $0?.deallocate() } }
        var descriptions: [TensorDescription?] = []
        for (i, input) in inputs.enumerated() {
            guard var description = input?.description else { descriptions.append(nil); continue }
            if input?.isConstant == true, let buffer = inputBuffers[i] {
                description.data = UnsafeRawBufferPointer(rebasing: buffer[0..<input!.bytes.count])
            }
            descriptions.append(description)
        }
        var context = PrepareContext(inputs: descriptions, outputs: outputs, threadCount: threads, kernelISA: isa)
        let kernel = try prepare(&context)
        let outputBuffers = context.outputs.map { out in
            UnsafeMutableRawBufferPointer.allocate(byteCount: max(out.elementCount * (out.type.byteSize ?? 1), 1), alignment: 64)
        }
        defer { outputBuffers.forEach { $0.deallocate() } }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(kernel.scratchByteCount, 1), alignment: 64)
        defer { scratch.deallocate() }
        let inputPointers = inputBuffers.map { $0.map { UnsafeRawPointer($0.baseAddress!) } }
        let outputPointers = outputBuffers.map { $0.baseAddress! }
        inputPointers.withUnsafeBufferPointer { ins in
            outputPointers.withUnsafeBufferPointer { outs in
                kernel.eval(KernelArguments(inputs: ins, outputs: outs, scratch: scratch.baseAddress,
                                            runner: ParallelRunner(threadCount: threads)))
            }
        }
        return zip(context.outputs, outputBuffers).map { out, buffer in
            Array(UnsafeRawBufferPointer(rebasing: buffer[0..<(out.elementCount * (out.type.byteSize ?? 1))]))
        }
    }
}

extension Array where Element == UInt8 {
    /// The bytes reinterpreted as `T` values.
    func values<T>(as _: T.Type) -> [T] {
        withUnsafeBytes { raw in
            (0..<(raw.count / MemoryLayout<T>.stride)).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self) }
        }
    }
}

/// A small deterministic generator (SplitMix64) for seeded random test data.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

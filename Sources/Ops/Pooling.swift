import TFLiteCore

/// AVERAGE_POOL_2D: the mean of each window's in-bounds elements. FLOAT32; INT8 and UINT8
/// (input and output quantization equal, as TFLite requires) with the reference rounding of
/// the division: `(acc ± count/2) / count`.
package enum AveragePool2D {
    package static func prepare(_ options: Pool2DOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try PoolKernel.prepare(average: true, options, &context)
    }
}

/// MAX_POOL_2D: the largest element of each window. FLOAT32, INT8, UINT8.
package enum MaxPool2D {
    package static func prepare(_ options: Pool2DOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try PoolKernel.prepare(average: false, options, &context)
    }
}

final class PoolKernel: Kernel {
    /// The most element visits one pooling op may make (2^32: seconds of work).
    static let maximumWork = 1 << 32
    let average: Bool
    let type: DataType
    let batches: Int, height: Int, width: Int, channels: Int
    let outputHeight: Int, outputWidth: Int
    let filterHeight: Int, filterWidth: Int, strideHeight: Int, strideWidth: Int, padTop: Int, padLeft: Int
    let floatMin: Float, floatMax: Float
    let quantMin: Int32, quantMax: Int32

    static func prepare(average: Bool, _ options: Pool2DOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, output) = try prepareElementwise(&context, types: [.float32, .int8, .uint8])
        guard input.rank == 4 else { throw .invalidShape("input must be 4-D NHWC, got \(input.shape)") }
        guard output.type == input.type else { throw .unsupportedType("output must be \(input.type.schemaName)") }
        let h = try WindowGeometry(padding: options.padding, inputSize: input.shape[1], filterSize: options.filterHeight,
                                   stride: options.strideHeight, dilation: 1)
        let w = try WindowGeometry(padding: options.padding, inputSize: input.shape[2], filterSize: options.filterWidth,
                                   stride: options.strideWidth, dilation: 1)
        try context.setOutputShape(0, [input.shape[0], h.outputSize, w.outputSize, input.shape[3]])
        // The work grows with the window, which costs nothing in the file: a window of
        // 16842755 × 3714 over a 7 × 59399 input took a minute (a fuzzer finding). Windows are
        // clipped to the input, so this bounds what any pool can take.
        let window = saturatingProduct(min(options.filterHeight, input.shape[1]), min(options.filterWidth, input.shape[2]))
        let work = saturatingProduct(input.shape[0], h.outputSize, w.outputSize, input.shape[3], window)
        guard work <= PoolKernel.maximumWork else {
            throw .tooLarge("a \(options.filterHeight)×\(options.filterWidth) pooling window over \(input.shape) needs \(work) additions, more than \(PoolKernel.maximumWork)")
        }
        var floatRange: (Float, Float) = (0, 0)
        var quantRange: (Int32, Int32) = (0, 0)
        if input.type == .float32 {
            floatRange = try options.activation.floatRange()
        } else {
            let (si, zi) = try input.perTensorQuantization("input")
            let (so, zo) = try output.perTensorQuantization("output")
            guard si == so, zi == zo else { throw .invalidQuantization("input and output quantization must be equal") }
            guard let range = input.type.quantizedRange else { throw .unsupportedType("\(input.type.schemaName)") }
            quantRange = quantizedActivationRange(try options.activation.kind(), scale: so, zeroPoint: zo, qmin: range.min, qmax: range.max)
        }
        return PoolKernel(average: average, type: input.type, input: input.shape, outputHeight: h.outputSize, outputWidth: w.outputSize,
                          options: options, padTop: h.paddingBefore, padLeft: w.paddingBefore, floatRange: floatRange, quantRange: quantRange)
    }

    init(average: Bool, type: DataType, input: [Int], outputHeight: Int, outputWidth: Int, options: Pool2DOptions, padTop: Int, padLeft: Int,
         floatRange: (Float, Float), quantRange: (Int32, Int32)) {
        self.average = average
        self.type = type
        batches = input[0]; height = input[1]; width = input[2]; channels = input[3]
        self.outputHeight = outputHeight; self.outputWidth = outputWidth
        filterHeight = options.filterHeight; filterWidth = options.filterWidth
        strideHeight = options.strideHeight; strideWidth = options.strideWidth
        self.padTop = padTop; self.padLeft = padLeft
        (floatMin, floatMax) = floatRange
        (quantMin, quantMax) = quantRange
    }

    /// One accumulator per channel (Float or Int32).
    var scratchByteCount: Int { saturatingProduct(channels, 4) }

    func eval(_ args: KernelArguments) {
        let accumulators = args.scratch.unsafelyUnwrapped
        switch type {
        case .float32:
            let input = args.input(0, as: Float.self), output = args.output(0, as: Float.self)
            let acc = accumulators.assumingMemoryBound(to: Float.self)
            let lo = floatMin, hi = floatMax
            // Separate literal closures per kind, so each specialisation inlines its combine.
            if average {
                run(input, output, acc, initial: Float(0), combine: { $0 + $1 }, finish: { v, n in min(max(v / Float(n), lo), hi) })
            } else {
                run(input, output, acc, initial: -Float.greatestFiniteMagnitude, combine: { max($0, $1) }, finish: { v, _ in min(max(v, lo), hi) })
            }
        case .int8: quantized(args.input(0, as: Int8.self), args.output(0, as: Int8.self), accumulators.assumingMemoryBound(to: Int32.self))
        default: quantized(args.input(0, as: UInt8.self), args.output(0, as: UInt8.self), accumulators.assumingMemoryBound(to: Int32.self))
        }
    }

    @inline(__always)
    private func quantized<T: FixedWidthInteger>(_ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>, _ acc: UnsafeMutablePointer<Int32>) {
        let lo = quantMin, hi = quantMax
        if average {
            run(input, output, acc, initial: Int32(0), combine: { $0 &+ Int32($1) }, finish: { v, n in
                let count = Int32(n)
                let value = v > 0 ? (v + count / 2) / count : (v - count / 2) / count
                return T(truncatingIfNeeded: min(max(value, lo), hi))
            })
        } else {
            run(input, output, acc, initial: Int32.min, combine: { max($0, Int32($1)) }, finish: { v, _ in
                T(truncatingIfNeeded: min(max(v, lo), hi))
            })
        }
    }

    /// Each output pixel: the window's in-bounds pixels are combined into per-channel
    /// accumulators a whole row of channels at a time (contiguous, vectorisable), each
    /// channel still combining its values in window order as the reference does.
    @inline(__always)
    private func run<T, Acc>(_ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>, _ acc: UnsafeMutablePointer<Acc>, initial: Acc,
                             combine: (Acc, T) -> Acc, finish: (Acc, Int) -> T) {
        for b in 0..<batches {
            for oy in 0..<outputHeight {
                let y0 = oy * strideHeight - padTop
                let yStart = max(0, -y0), yEnd = min(filterHeight, height - y0)
                for ox in 0..<outputWidth {
                    let x0 = ox * strideWidth - padLeft
                    let xStart = max(0, -x0), xEnd = min(filterWidth, width - x0)
                    let count = max(0, yEnd - yStart) * max(0, xEnd - xStart)
                    for c in 0..<channels { acc[c] = initial }
                    var fy = yStart
                    while fy < yEnd {
                        var fx = xStart
                        while fx < xEnd {
                            let pixel = input + ((b * height + y0 + fy) * width + x0 + fx) * channels
                            for c in 0..<channels { acc[c] = combine(acc[c], pixel[c]) }
                            fx += 1
                        }
                        fy += 1
                    }
                    let out = output + ((b * outputHeight + oy) * outputWidth + ox) * channels
                    for c in 0..<channels { out[c] = finish(acc[c], max(count, 1)) }
                }
            }
        }
    }
}

import Microkernels
import TFLiteCore

/// FULLY_CONNECTED: `out[r][o] = act(bias[o] + Σ_i in[r][i] · w[o][i])`, rows r over every
/// leading dimension of the input (elements / input depth).
///
/// Inputs: input (any rank), weights `[outputs, depth]` (constant), optional bias. Types:
/// FLOAT32; INT8 (per-tensor or per-channel INT8 weights, INT32 bias); UINT8 (per-tensor
/// asymmetric). The same packed matrix multiply as CONV_2D.
package enum FullyConnected {
    package static func prepare(_ options: FullyConnectedOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try context.expect(inputs: 2...3, outputs: 1)
        let input = try context.input(0), weights = try context.input(1), output = try context.output(0)
        let bias = context.optionalInput(2)
        guard options.weightsFormat == 0 else { throw .invalidOptions("shuffled FULLY_CONNECTED weights are not supported") }
        guard weights.rank == 2, weights.shape[0] >= 1, weights.shape[1] >= 1 else {
            throw .invalidShape("weights must be 2-D [outputs, depth], got \(weights.shape)")
        }
        let units = weights.shape[0], depth = weights.shape[1]
        guard input.rank >= 1, input.elementCount % depth == 0 else {
            throw .invalidShape("input \(input.shape) does not divide into rows of depth \(depth)")
        }
        let rows = input.elementCount / depth
        if options.keepNumDims {
            guard input.shape.last == depth else { throw .invalidShape("keep_num_dims needs the input's last dimension to be \(depth)") }
            try context.setOutputShape(0, Array(input.shape.dropLast()) + [units])
        } else {
            try context.setOutputShape(0, [rows, units])
        }
        let activation = try options.activation.kind()
        switch (input.type, weights.type, output.type) {
        case (.float32, .float32, .float32):
            guard let values = weights.constantValues(as: Float.self), values.count >= weights.elementCount else {
                throw .notConstant("the weights must be constant")
            }
            let packed = PackedFloatWeights(weights: values, n: units, k: depth, bias: try constantBiasFloat(bias, count: units),
                                            isa: context.kernelISA)
            let range = try options.activation.floatRange()
            return FloatFullyConnectedKernel(rows: rows, weights: packed, minimum: range.min, maximum: range.max)
        case (.int8, .int8, .int8), (.uint8, .uint8, .uint8):
            let perTensor = (weights.quantization?.scales.count ?? 0) == 1 && input.type == .uint8
            let quantization = try ConvolutionQuantization(input: input, weights: weights, output: output, channels: units,
                                                           channelDimension: 0, activation: activation, floatScaleProduct: perTensor)
            let packed = PackedQuantizedWeights(
                weights: try widenedConstant(weights, "the weights"), weightZeroPoints: quantization.weightZeroPoints,
                n: units, k: depth, bias: try constantBias32(bias, count: units), requantization: quantization.requantization,
                outputZeroPoint: quantization.outputZeroPoint, minimum: quantization.minimum, maximum: quantization.maximum,
                doubleScales: input.type == .int8 ? try doubleRequantizationScales(input: input, weights: weights, output: output) : nil,
                signed: input.type == .int8, inputZeroPoint: quantization.inputZeroPoint, isa: context.kernelISA)
            return QuantizedFullyConnectedKernel(signed: input.type == .int8, rows: rows, weights: packed,
                                                 inputZeroPoint: quantization.inputZeroPoint, threads: context.threadCount)
        case (.float32, .int8, .float32):
            return try prepareHybrid(options, rows: rows, weights: weights, bias: bias, output: output, threads: context.threadCount)
        default:
            throw .unsupportedType("FULLY_CONNECTED of \(input.type.schemaName) input, \(weights.type.schemaName) weights, \(output.type.schemaName) output")
        }
    }
}

/// LiteRT's reference int8 FULLY_CONNECTED requantizes in double: `s_in · s_w[c] / s_out`.
private func doubleRequantizationScales(input: TensorDescription, weights: TensorDescription, output: TensorDescription) throws(OpError) -> [Double] {
    let (si, _) = try input.perTensorQuantization("input")
    let (so, _) = try output.perTensorQuantization("output")
    return (weights.quantization?.scales ?? []).map { Double(si) * Double($0) / Double(so) }
}

final class FloatFullyConnectedKernel: Kernel {
    let rows: Int
    let weights: PackedFloatWeights
    let minimum: Float, maximum: Float

    init(rows: Int, weights: PackedFloatWeights, minimum: Float, maximum: Float) {
        self.rows = rows
        self.weights = weights
        self.minimum = minimum
        self.maximum = maximum
    }

    func eval(_ args: KernelArguments) {
        let tiles = (rows + weights.tileRows - 1) / weights.tileRows
        // A batch of one is split over the threads by panels of output channels.
        let context = (self, args.input(0, as: Float.self), args.output(0, as: Float.self))
        args.runner.forEachTileBlock(tiles: tiles, panels: weights.panels, tileGrain: 1, work: multiplyAdds(rows, weights.n, weights.k),
                                     context: context) { c, _, tiles, panels in
            let (kernel, input, output) = c
            let weights = kernel.weights, k = weights.k, n = weights.n, tileRows = weights.tileRows
            for tile in tiles {
                let first = tile * tileRows
                weights.multiply(rows: min(tileRows, kernel.rows - first), a: input + first * k, aStride: k, out: output + first * n,
                                 outStride: n, minimum: kernel.minimum, maximum: kernel.maximum, panels: panels)
            }
        }
    }
}

final class QuantizedFullyConnectedKernel: Kernel {
    let signed: Bool
    let rows: Int
    let weights: PackedQuantizedWeights
    let inputZeroPoint: Int32
    let threads: Int

    init(signed: Bool, rows: Int, weights: PackedQuantizedWeights, inputZeroPoint: Int32, threads: Int = 1) {
        self.signed = signed
        self.rows = rows
        self.weights = weights
        self.inputZeroPoint = inputZeroPoint
        self.threads = max(1, threads)
    }

    /// Four rows of zero-point-free inputs, then the accumulator tile; for the byte kernels,
    /// eight rows of bytes, their sums and the accumulator row.
    private var rowBytes: Int {
        if let bytes = weights.bytes { return (byteTileRows * bytes.rowBytes + 63) / 64 * 64 + 64 }
        return (4 * weights.k * 4 + 63) / 64 * 64
    }
    private var sliceBytes: Int { (rowBytes + (weights.bytes == nil ? weights.tileScratchBytes : weights.byteTileScratchBytes) + 63) / 64 * 64 }
    /// The byte kernels run on every thread (a slice each); the others on one.
    var scratchByteCount: Int { weights.bytes == nil ? sliceBytes : saturatingProduct(threads, sliceBytes) }

    func eval(_ args: KernelArguments) {
        if let bytes = weights.bytes {
            if signed { runBytes(args, bytes, Int8.self) } else { runBytes(args, bytes, UInt8.self) }
        } else {
            if signed { run(args, Int8.self) } else { run(args, UInt8.self) }
        }
    }

    /// Tiles of 8 rows × panels of 16 output channels over the threads: a batch of one (every
    /// MobileNet) splits its panels.
    @inline(__always)
    private func runBytes<Input: FixedWidthInteger>(_ args: KernelArguments, _ bytes: PackedByteWeights, _: Input.Type) {
        let tiles = (rows + byteTileRows - 1) / byteTileRows
        let context = (self, bytes, args.input(0, as: Input.self), args.output(0, as: Input.self), args.scratch.unsafelyUnwrapped)
        args.runner.forEachTileBlock(tiles: tiles, panels: bytes.panels, tileGrain: 1, work: multiplyAdds(rows, weights.n, weights.k),
                                     context: context) { c, thread, tiles, panels in
            c.0.multiplyBytes(c.1, tiles, panels: panels, input: c.2, output: c.3, scratch: c.4 + thread * c.0.sliceBytes)
        }
    }

    private func multiplyBytes<Input: FixedWidthInteger>(_ bytes: PackedByteWeights, _ tiles: Range<Int>, panels: Range<Int>,
                                                         input: UnsafePointer<Input>, output: UnsafeMutablePointer<Input>,
                                                         scratch: UnsafeMutableRawPointer) {
        let buffer = scratch.assumingMemoryBound(to: UInt8.self)
        let sums = (scratch + rowBytes - 64).assumingMemoryBound(to: Int32.self)
        let k = weights.k, n = weights.n
        for tile in tiles {
            let first = tile * byteTileRows, count = min(byteTileRows, rows - first)
            for r in 0..<count {
                sums[r] = bytes.prepareRow(input + (first + r) * k, into: buffer + r * bytes.rowBytes)
            }
            weights.multiplyBytes(bytes, rows: count, a: buffer, rowSums: sums, out: output + first * n, outStride: n, scratch: scratch + rowBytes,
                                  panels: panels)
        }
    }

    @inline(__always)
    private func run<Input: FixedWidthInteger>(_ args: KernelArguments, _: Input.Type) {
        let input = args.input(0, as: Input.self), output = args.output(0, as: Input.self)
        let buffer = args.scratch.unsafelyUnwrapped.assumingMemoryBound(to: Float.self)
        let k = weights.k, n = weights.n
        var first = 0
        while first < rows {
            let count = min(4, rows - first)
            let source = input + first * k
            weights.isa.zeroPointFreeFloats(source, count: count * k, zeroPoint: inputZeroPoint, into: buffer)
            weights.multiply(rows: count, a: UnsafePointer(buffer), aStride: k, out: output + first * n, outStride: n,
                             scratch: args.scratch.unsafelyUnwrapped + rowBytes)
            first += 4
        }
    }
}

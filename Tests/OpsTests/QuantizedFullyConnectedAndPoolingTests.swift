import Ops
import Testing
import TFLiteCore

/// Quantized FULLY_CONNECTED (packed exact GEMM; int8 rounded in double as LiteRT's reference
/// does, uint8 by the fixed-point multiplier) and AVERAGE/MAX_POOL_2D against plain scalar
/// transliterations of TFLite's reference kernels, on seeded random shapes, data and
/// quantization, at every instruction-set level the CPU has: identical bytes.
@Suite struct QuantizedFullyConnectedAndPoolingTests {
    @Test(arguments: [true, false])
    func fullyConnectedMatchesTheReference(signed: Bool) throws {
        var g = SeededGenerator(seed: signed ? 31 : 32)
        let type: DataType = signed ? .int8 : .uint8
        let (qmin, qmax): (Int32, Int32) = signed ? (-128, 127) : (0, 255)
        for round in 0..<40 {
            // A quarter with 64–120 units: on 2 threads a batch of up to 8 rows splits its
            // output panels over the threads.
            let rows = Int.random(in: 1...5, using: &g), depth = Int.random(in: 1...150, using: &g)
            let units = round % 4 == 0 ? Int.random(in: 64...120, using: &g) : Int.random(in: 1...40, using: &g)
            let activation = [FusedActivation.none, .relu, .relu6].randomElement(using: &g) ?? .none
            let si = Float.random(in: 0.005...0.05, using: &g), so = Float.random(in: 0.05...0.5, using: &g)
            let zx = Int32.random(in: qmin...qmax, using: &g), zo = Int32.random(in: qmin...qmax, using: &g)
            let zw: Int32 = signed ? 0 : Int32.random(in: 0...255, using: &g)
            let scales = signed ? (0..<units).map { _ in Float.random(in: 0.001...0.02, using: &g) } : [Float.random(in: 0.001...0.02, using: &g)]
            let x = (0..<(rows * depth)).map { _ in Int32.random(in: qmin...qmax, using: &g) }
            let w = (0..<(units * depth)).map { _ in signed ? Int32.random(in: -127...127, using: &g) : Int32.random(in: 0...255, using: &g) }
            let bias = (0..<units).map { _ in Int32.random(in: -3000...3000, using: &g) }
            func bytes(_ v: [Int32]) -> [UInt8] { v.map { signed ? UInt8(bitPattern: Int8($0)) : UInt8($0) } }
            let inputs: [KernelHarness.Input?] = [
                .init(type, [rows, depth], bytes(x), quantization: QuantizationParameters(scales: [si], zeroPoints: [Int64(zx)])),
                .init(type, [units, depth], bytes(w), quantization: QuantizationParameters(scales: scales, zeroPoints: scales.map { _ in Int64(zw) }),
                      constant: true),
                .init(.int32, [units], bias, constant: true),
            ]
            let output = TensorDescription(type: type, shape: [], quantization: QuantizationParameters(scales: [so], zeroPoints: [Int64(zo)]))
            let range = quantizedActivationRange(try activation.kind(), scale: so, zeroPoint: zo, qmin: qmin, qmax: qmax)
            var expected: [Int32] = []
            for r in 0..<rows {
                for u in 0..<units {
                    var acc = bias[u]
                    for i in 0..<depth { acc += (x[r * depth + i] - zx) * (w[u * depth + i] - zw) }
                    let scaled: Int32
                    if signed {
                        let real = Double(si) * Double(scales[u]) / Double(so)
                        scaled = Int32((Double(acc) * real).rounded(.toNearestOrAwayFromZero))
                    } else {
                        let m = QuantizedMultiplier(Double(si * scales[0]) / Double(so))
                        scaled = multiplyByQuantizedMultiplier(acc, m.multiplier, m.shift)
                    }
                    expected.append(min(max(scaled + zo, range.min), range.max))
                }
            }
            for isa in KernelISA.allCases where isa <= KernelISA.supported {
                let actual = try KernelHarness.run(threads: 2, isa: isa, inputs: inputs, outputs: [output]) { (ctx: inout PrepareContext) throws(OpError) in
                    try FullyConnected.prepare(FullyConnectedOptions(activation: activation), &ctx) }[0]
                #expect(actual == bytes(expected), "\(isa) rows \(rows) depth \(depth) units \(units)")
            }
        }
    }

    @Test(arguments: [(true, true), (true, false), (false, true), (false, false)])
    func poolingMatchesTheReference(signed: Bool, average: Bool) throws {
        var g = SeededGenerator(seed: 33 + (signed ? 1 : 0) + (average ? 2 : 0))
        let type: DataType = signed ? .int8 : .uint8
        let (qmin, qmax): (Int32, Int32) = signed ? (-128, 127) : (0, 255)
        for _ in 0..<40 {
            let n = Int.random(in: 1...2, using: &g), h = Int.random(in: 1...12, using: &g), w = Int.random(in: 1...12, using: &g)
            let c = Int.random(in: 1...40, using: &g)
            let fh = Int.random(in: 1...5, using: &g), fw = Int.random(in: 1...5, using: &g), stride = Int.random(in: 1...3, using: &g)
            let padding: Padding = Bool.random(using: &g) ? .same : .valid
            guard let gh = try? WindowGeometry(padding: padding, inputSize: h, filterSize: fh, stride: stride, dilation: 1),
                  let gw = try? WindowGeometry(padding: padding, inputSize: w, filterSize: fw, stride: stride, dilation: 1) else { continue }
            let scale = Float.random(in: 0.01...0.1, using: &g), zp = Int32.random(in: qmin...qmax, using: &g)
            let activation = [FusedActivation.none, .relu, .relu6].randomElement(using: &g) ?? .none
            let x = (0..<(n * h * w * c)).map { _ in Int32.random(in: qmin...qmax, using: &g) }
            func bytes(_ v: [Int32]) -> [UInt8] { v.map { signed ? UInt8(bitPattern: Int8($0)) : UInt8($0) } }
            let q = QuantizationParameters(scales: [scale], zeroPoints: [Int64(zp)])
            let range = quantizedActivationRange(try activation.kind(), scale: scale, zeroPoint: zp, qmin: qmin, qmax: qmax)
            var expected: [Int32] = []
            for b in 0..<n {
                for oy in 0..<gh.outputSize {
                    for ox in 0..<gw.outputSize {
                        for ch in 0..<c {
                            var acc: Int32 = average ? 0 : Int32.min, count: Int32 = 0
                            for fy in 0..<fh {
                                for fx in 0..<fw {
                                    let iy = oy * stride - gh.paddingBefore + fy, ix = ox * stride - gw.paddingBefore + fx
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let v = x[((b * h + iy) * w + ix) * c + ch]
                                    acc = average ? acc + v : max(acc, v)
                                    count += 1
                                }
                            }
                            // reference/integer_ops/pooling.h: (acc ± count/2) / count for the average.
                            let value = average ? (acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count) : acc
                            expected.append(min(max(value, range.min), range.max))
                        }
                    }
                }
            }
            let options = Pool2DOptions(padding: padding, strideWidth: stride, strideHeight: stride, filterWidth: fw, filterHeight: fh, activation: activation)
            let actual = try KernelHarness.run(inputs: [.init(type, [n, h, w, c], bytes(x), quantization: q)],
                                               outputs: [TensorDescription(type: type, shape: [], quantization: q)]) { (ctx: inout PrepareContext) throws(OpError) in
                average ? try AveragePool2D.prepare(options, &ctx) : try MaxPool2D.prepare(options, &ctx) }[0]
            #expect(actual == bytes(expected), "\(n)×\(h)×\(w)×\(c) window \(fh)×\(fw) stride \(stride) \(padding)")
        }
    }
}

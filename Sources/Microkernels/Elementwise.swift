/// FLOAT32 HARD_SWISH, `x · min(6, max(0, x + 3)) / 6` as TFLite's reference writes it, with
/// the division as a product by 1/6 (as LiteRT's optimized kernel and XNNPACK do: within an
/// ulp of the quotient, and a vector division cost 70 % of the op). Plain loops: compiled into
/// a module for a wider instruction set, they are vectorised there. `output` may be `input`.
@inlinable @inline(__always)
package func hardSwish(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
    let sixth: Float = 1 / 6
    @inline(__always) func value(_ x: Float) -> Float { x * Swift.min(6, Swift.max(0, x + 3)) * sixth }
    if UnsafePointer(output) == input {
        // In place, a loop of its own: given two pointers that overlap, the vectorised loop
        // below fails its overlap check and runs one value at a time.
        for i in 0..<count { output[i] = value(output[i]) }
    } else {
        for i in 0..<count { output[i] = value(input[i]) }
    }
}

/// HARD_SWISH in place (`hardSwish`) over channels `firstChannel ..< s.channels` of each of a
/// depthwise output row's `s.outputWidth` pixels (`s.pixelStride` apart): one pass when they
/// are the whole row, contiguous, else one per pixel.
@inlinable @inline(__always)
package func hardSwishRow(_ out: UnsafeMutablePointer<Float>, _ s: DepthwiseRowShape, firstChannel: Int = 0) {
    guard firstChannel < s.channels else { return }
    if firstChannel == 0 && s.pixelStride == s.channels {
        hardSwish(out, out, count: s.outputWidth &* s.channels)
    } else {
        for ox in 0..<s.outputWidth {
            let o = out + (ox &* s.pixelStride &+ firstChannel)
            hardSwish(o, o, count: s.channels &- firstChannel)
        }
    }
}

/// The arithmetic of the FLOAT32 binary elementwise ops.
@usableFromInline package enum FloatBinaryOperation: Sendable {
    case add, sub, mul
}

/// `out[i] = clamp(x[i] op y[i], minimum, maximum)` for i < count, where a side that is not
/// `contiguous` is one value, repeated. Plain loops, one per case, so that a module built for a
/// wider instruction set vectorises each.
@inlinable @inline(__always)
package func floatBinary(_ operation: FloatBinaryOperation, _ x: UnsafePointer<Float>, contiguous xContiguous: Bool, _ y: UnsafePointer<Float>,
                         contiguous yContiguous: Bool, _ out: UnsafeMutablePointer<Float>, count: Int, minimum lo: Float, maximum hi: Float) {
    @inline(__always) func run(_ f: (Float, Float) -> Float) {
        if xContiguous && yContiguous {
            for i in 0..<count { out[i] = Swift.min(Swift.max(f(x[i], y[i]), lo), hi) }
        } else if xContiguous {
            let b = y[0]
            for i in 0..<count { out[i] = Swift.min(Swift.max(f(x[i], b), lo), hi) }
        } else {
            let a = x[0]
            for i in 0..<count { out[i] = Swift.min(Swift.max(f(a, y[i]), lo), hi) }
        }
    }
    switch operation {
    case .add: run { $0 + $1 }
    case .sub: run { $0 - $1 }
    case .mul: run { $0 * $1 }
    }
}

/// Each channel's sum over `rows` rows of `channels` floats (`input`, one row after another),
/// into `sums`: the rows added in order to +0, as a plain loop adds them (so the same floats
/// at every vector width), four vectors of channels at a time, the last channels one by one.
@inlinable @inline(__always)
package func sumRows<V: KernelFloatVector>(_: V.Type, _ input: UnsafePointer<Float>, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Float>) {
    let width = V.scalarCount, rowBytes = channels &* 4
    var c = 0
    while c &+ 4 &* width <= channels {
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        var row = UnsafeRawPointer(input + c)
        for _ in 0..<rows {
            s0 += row.loadUnaligned(as: V.self)
            s1 += row.loadUnaligned(fromByteOffset: width &* 4, as: V.self)
            s2 += row.loadUnaligned(fromByteOffset: width &* 8, as: V.self)
            s3 += row.loadUnaligned(fromByteOffset: width &* 12, as: V.self)
            row += rowBytes
        }
        let out = UnsafeMutableRawPointer(sums + c)
        out.storeBytes(of: s0, as: V.self)
        out.storeBytes(of: s1, toByteOffset: width &* 4, as: V.self)
        out.storeBytes(of: s2, toByteOffset: width &* 8, as: V.self)
        out.storeBytes(of: s3, toByteOffset: width &* 12, as: V.self)
        c &+= 4 &* width
    }
    while c &+ width <= channels {
        var s = V()
        var row = UnsafeRawPointer(input + c)
        for _ in 0..<rows {
            s += row.loadUnaligned(as: V.self)
            row += rowBytes
        }
        UnsafeMutableRawPointer(sums + c).storeBytes(of: s, as: V.self)
        c &+= width
    }
    guard c < channels else { return }
    for channel in c..<channels { sums[channel] = 0 }
    var row = input
    for _ in 0..<rows {
        for channel in c..<channels { sums[channel] += row[channel] }
        row += channels
    }
}

/// Each channel's sum over `rows` rows of `channels` INT8 or UINT8 values (`input`, one row
/// after another), added into `sums` in wrapping Int32 arithmetic (the reference's
/// accumulator): the same sums in any order.
@inlinable @inline(__always)
package func addByteRows<Element: FixedWidthInteger>(_ input: UnsafePointer<Element>, rows: Int, channels: Int, into sums: UnsafeMutablePointer<Int32>) {
    var row = input
    for _ in 0..<rows {
        for channel in 0..<channels { sums[channel] &+= Int32(truncatingIfNeeded: row[channel]) }
        row += channels
    }
}

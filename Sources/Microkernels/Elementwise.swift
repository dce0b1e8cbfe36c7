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

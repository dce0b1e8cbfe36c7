/// FLOAT32 HARD_SWISH as TFLite's reference computes it, `x · min(6, max(0, x + 3)) / 6` (a
/// plain loop: compiled into a module for a wider instruction set, it is vectorised there).
@inlinable @inline(__always)
package func hardSwish(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count {
        let x = input[i]
        output[i] = x * Swift.min(6, Swift.max(0, x + 3)) / 6
    }
}

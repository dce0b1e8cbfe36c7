import TFLiteCore

/// LOGISTIC: `1 / (1 + e^−x)`. FLOAT32 (with TFLite's reference cut-offs).
package enum Logistic {
    package static func prepare(_ context: inout PrepareContext) throws(OpError) -> any Kernel {
        let (input, _) = try prepareElementwise(&context, types: [.float32])
        return FloatUnaryKernel(.logistic, count: input.elementCount)
    }
}

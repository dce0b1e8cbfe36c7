import TFLiteCore

/// What prepare is given: the op's input tensors (nil for an omitted optional input) and its
/// output tensors, whose type and quantization come from the model and whose shapes prepare
/// sets. Also the number of threads eval may use.
package struct PrepareContext {
    package var inputs: [TensorDescription?]
    package var outputs: [TensorDescription]
    package let threadCount: Int
    /// The instruction-set level kernels are built for (tests run every level the CPU has).
    package let kernelISA: KernelISA

    package init(inputs: [TensorDescription?], outputs: [TensorDescription], threadCount: Int = 1, kernelISA: KernelISA = .current) {
        self.inputs = inputs
        self.outputs = outputs
        self.threadCount = threadCount
        self.kernelISA = min(kernelISA, .supported)
    }

    /// Input `index`, which must be present.
    package func input(_ index: Int) throws(OpError) -> TensorDescription {
        guard index < inputs.count, let tensor = inputs[index] else { throw .arity("input \(index) is missing") }
        return tensor
    }

    /// Input `index`, or nil when omitted (−1) or beyond the op's input list.
    package func optionalInput(_ index: Int) -> TensorDescription? {
        index < inputs.count ? inputs[index] : nil
    }

    package func output(_ index: Int) throws(OpError) -> TensorDescription {
        guard index < outputs.count else { throw .arity("output \(index) is missing") }
        return outputs[index]
    }

    /// Checks the input and output counts.
    package func expect(inputs inputRange: ClosedRange<Int>, outputs outputCount: Int) throws(OpError) {
        guard inputRange.contains(inputs.count) else {
            throw .arity("expects \(inputRange.lowerBound == inputRange.upperBound ? "\(inputRange.lowerBound)" : "\(inputRange.lowerBound)–\(inputRange.upperBound)") inputs, got \(inputs.count)")
        }
        guard outputs.count == outputCount else { throw .arity("expects \(outputCount) outputs, got \(outputs.count)") }
    }

    /// Sets output `index`'s shape.
    package mutating func setOutputShape(_ index: Int, _ shape: [Int]) throws(OpError) {
        guard index < outputs.count else { throw .arity("output \(index) is missing") }
        try checkedElementCount(shape)
        outputs[index].shape = shape
    }
}

/// The product of `shape`, refusing negative dimensions and products that overflow.
@discardableResult
package func checkedElementCount(_ shape: [Int]) throws(OpError) -> Int {
    var count = 1
    for dim in shape {
        guard dim >= 0 else { throw .invalidShape("negative dimension in \(shape)") }
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        guard !overflow, product < 1 << 40 else { throw .tooLarge("shape \(shape) has too many elements") }
        count = product
    }
    return count
}

/// Bytes, saturating at `Int.max` (which no memory budget admits).
func saturatingProduct(_ factors: Int...) -> Int {
    var product = 1
    for f in factors {
        let (p, overflow) = product.multipliedReportingOverflow(by: f)
        if overflow || f < 0 { return Int.max }
        product = p
    }
    return product
}

/// `saturatingProduct` of two factors without the variadic call's array (which allocates: the
/// two-factor forms are read at every row of some kernels).
func saturatingProduct(_ a: Int, _ b: Int) -> Int {
    let (p, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow || a < 0 || b < 0 ? Int.max : p
}

/// `saturatingSum` of two terms without the variadic call's array.
func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (s, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : s
}

/// A sum, saturating at `Int.max`.
func saturatingSum(_ terms: Int...) -> Int {
    var sum = 0
    for t in terms {
        let (s, overflow) = sum.addingReportingOverflow(t)
        if overflow { return Int.max }
        sum = s
    }
    return sum
}

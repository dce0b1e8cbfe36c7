import TFLiteCore

/// Output size and padding of a window sliding over one spatial dimension, as TFLite's
/// `ComputePaddingHeightWidth` computes them.
package struct WindowGeometry: Equatable, Sendable {
    package var outputSize: Int
    /// Padding before the first element (the "before" side; SAME puts any odd extra after).
    package var paddingBefore: Int
    /// Extra padding after, for kernels that need it (TFLite's offset).
    package var paddingAfter: Int

    /// - Parameters: input size, filter size, stride, dilation (all validated ≥ 1 here).
    package init(padding: Padding, inputSize: Int, filterSize: Int, stride: Int, dilation: Int) throws(OpError) {
        guard stride >= 1 else { throw .invalidOptions("stride \(stride) must be at least 1") }
        guard dilation >= 1 else { throw .invalidOptions("dilation \(dilation) must be at least 1") }
        guard filterSize >= 1, inputSize >= 0 else { throw .invalidShape("filter size \(filterSize) must be at least 1") }
        let (dilatedMinus1, overflow) = (filterSize - 1).multipliedReportingOverflow(by: dilation)
        guard !overflow, dilatedMinus1 < 1 << 30, inputSize < 1 << 30, stride < 1 << 30 else {
            throw .tooLarge("window of \(filterSize) dilated by \(dilation) is too large")
        }
        let effectiveFilter = dilatedMinus1 + 1
        switch padding {
        case .same:
            outputSize = (inputSize + stride - 1) / stride
        case .valid:
            outputSize = inputSize >= effectiveFilter ? (inputSize - effectiveFilter + stride) / stride : 0
        }
        let total = max(0, (outputSize - 1) * stride + effectiveFilter - inputSize)
        paddingBefore = total / 2
        paddingAfter = total - paddingBefore
    }
}

/// Affine quantization of a tensor: `real = scale × (quantized − zeroPoint)`.
///
/// Per-tensor quantization has one scale and one zero point; per-channel quantization has one
/// of each per slice along `quantizedDimension`.
public struct QuantizationParameters: Equatable, Sendable {
    /// Scale per tensor (one element) or per channel.
    public var scales: [Float]
    /// Zero point per tensor (one element) or per channel.
    public var zeroPoints: [Int64]
    /// The dimension the per-channel arrays run along; meaningless for per-tensor parameters.
    public var quantizedDimension: Int

    public init(scales: [Float], zeroPoints: [Int64], quantizedDimension: Int = 0) {
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.quantizedDimension = quantizedDimension
    }

    /// True when there is one scale for the whole tensor.
    public var isPerTensor: Bool { scales.count == 1 }

    /// The scale of a per-tensor quantization (the first scale otherwise).
    public var scale: Float { scales.first ?? 0 }

    /// The zero point of a per-tensor quantization (the first otherwise).
    public var zeroPoint: Int64 { zeroPoints.first ?? 0 }
}

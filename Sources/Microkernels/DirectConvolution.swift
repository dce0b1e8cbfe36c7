/// The sizes of a convolution run directly (no im2col) by the AVX-512 kernel for few input
/// channels (a network's first layer): NHWC input, weights packed in 16-channel panels
/// `[panel][(ky · filterWidth + kx) · inputChannels + c][lane]`.
@usableFromInline package struct DirectConvolutionShape {
    @usableFromInline package var inputHeight: Int, inputWidth: Int, inputChannels: Int
    @usableFromInline package var outputHeight: Int, outputWidth: Int, outputChannels: Int
    @usableFromInline package var filterHeight: Int, filterWidth: Int
    @usableFromInline package var strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int
    @usableFromInline package var padTop: Int, padLeft: Int

    @usableFromInline package init(inputHeight: Int, inputWidth: Int, inputChannels: Int, outputHeight: Int, outputWidth: Int, outputChannels: Int,
                                   filterHeight: Int, filterWidth: Int, strideHeight: Int, strideWidth: Int, dilationHeight: Int,
                                   dilationWidth: Int, padTop: Int, padLeft: Int) {
        self.inputHeight = inputHeight; self.inputWidth = inputWidth; self.inputChannels = inputChannels
        self.outputHeight = outputHeight; self.outputWidth = outputWidth; self.outputChannels = outputChannels
        self.filterHeight = filterHeight; self.filterWidth = filterWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth; self.dilationHeight = dilationHeight; self.dilationWidth = dilationWidth
        self.padTop = padTop; self.padLeft = padLeft
    }
}

/// Byte permutes that build `pixels` consecutive patch rows of a convolution on bytes with few
/// input channels at once (`VNNIKernels.gatherBytePatches`): for filter row ky,
/// `indices[ky · 64 + q]` is the byte, among the 64 loaded from that input row at the first
/// pixel's window, that patch byte q (pixel q / rowStride, position q % rowStride) takes, and
/// bit q of `masks[ky]` whether byte q comes from filter row ky. `pixels` 0: each pixel is
/// copied alone.
package struct BytePatchVectors {
    package let pixels: Int
    package let indices: UnsafePointer<UInt8>
    package let masks: UnsafePointer<UInt64>

    package init(pixels: Int, indices: UnsafePointer<UInt8>, masks: UnsafePointer<UInt64>) {
        self.pixels = pixels
        self.indices = indices
        self.masks = masks
    }
}

// swift-tools-version:6.0
import Foundation
import PackageDescription

// Kernels are hot loops: exclusivity checks cost there and buy nothing (no inout aliasing).
// By default they build for the baseline CPU of the platform (x86-64, arm64), so a binary runs
// anywhere. `TFLITE_NATIVE=1 swift build -c release` builds them for the CPU of the build
// machine instead (AVX2/FMA/AVX-512 where present): faster, but only for that kind of CPU.
let buildForNativeCPU = ProcessInfo.processInfo.environment["TFLITE_NATIVE"] == "1"
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"] + (buildForNativeCPU ? ["-target-cpu", "native"] : [])),
]

// The micro-kernels are also compiled for wider x86-64 instruction sets, each in its own module
// built for that CPU level; Ops picks one at run time from what the CPU supports, so the
// default build runs anywhere and still uses AVX2/FMA or AVX-512 where present.
#if arch(x86_64)
let avx2Settings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
let avx512Settings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"]), .define("TFLITE_AVX512")]
let vnniSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "icelake-server"]), .define("TFLITE_VNNI")]
#else
let avx2Settings: [SwiftSetting] = []
let avx512Settings: [SwiftSetting] = []
let vnniSettings: [SwiftSetting] = []
#endif

let package = Package(
    name: "swift-tflite",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "TFLite", targets: ["TFLite"]),
        .library(name: "TFLiteReader", targets: ["TFLiteReader"]),
        .executable(name: "tflite-run", targets: ["tflite-run"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // flatbuffers' Verifier over flatc's generated C++ for schema/schema.fbs, behind one C call.
        .target(
            name: "CTFLiteVerifier",
            path: "Sources/CTFLiteVerifier",
            cxxSettings: [.unsafeFlags(["-std=c++17", "-fno-exceptions"])]
        ),
        // Value types every layer shares: data types, quantization, options of the builtin ops.
        .target(name: "TFLiteCore", path: "Sources/TFLiteCore"),
        // Bytes → verified, typed model. Knows the file format, nothing of kernels.
        .target(
            name: "TFLiteReader",
            dependencies: ["CTFLiteVerifier", "TFLiteCore"],
            path: "Sources/TFLiteReader"
        ),
        // Matrix-multiply and requantization micro-kernels, all @inlinable: compiled into the
        // modules below for each instruction-set level, and into Ops for the baseline.
        .target(name: "Microkernels", path: "Sources/Microkernels", swiftSettings: kernelSettings,
                linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        .target(name: "MicrokernelsAVX2", dependencies: ["Microkernels"], path: "Sources/MicrokernelsAVX2",
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])] + avx2Settings),
        .target(name: "MicrokernelsAVX512", dependencies: ["Microkernels"], path: "Sources/MicrokernelsAVX512",
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])] + avx512Settings),
        // The 8-bit matrix multiply with AVX-512 VNNI's byte dot products (Intel intrinsics,
        // x86-64 only; empty elsewhere).
        .target(name: "MicrokernelsVNNI", dependencies: ["Microkernels", "MicrokernelsAVX512"], path: "Sources/MicrokernelsVNNI",
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])] + vnniSettings),
        // Which of those the running CPU supports (cpuid, behind one C function).
        .target(name: "CPUFeatures", path: "Sources/CPUFeatures"),
        // C11 atomics for the worker pool.
        .target(name: "CAtomics", path: "Sources/CAtomics"),
        // Kernels: prepare validates and precomputes, eval computes. Knows no file format.
        .target(
            name: "Ops",
            dependencies: ["TFLiteCore", "Microkernels", "MicrokernelsAVX2", "MicrokernelsAVX512", "MicrokernelsVNNI", "CPUFeatures", "CAtomics"],
            path: "Sources/Ops",
            swiftSettings: kernelSettings
        ),
        // The interpreter: resolves ops, infers shapes, plans memory, runs. Module `TFLite`.
        .target(
            name: "TFLite",
            dependencies: ["TFLiteReader", "Ops", "TFLiteCore"],
            path: "Sources/Interpreter"
        ),
        // System libraries for images and the zip archive of TFLite metadata.
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Images (JPEG, PNG, BMP) → input tensors; labels and normalisation from model metadata.
        .target(
            name: "ImageInput",
            dependencies: ["CJPEG", "CPNG", "CZlib", "TFLiteCore", "TFLiteReader"],
            path: "Sources/ImageInput"
        ),
        .executableTarget(
            name: "tflite-run",
            dependencies: [
                "TFLite", "TFLiteReader", "TFLiteCore", "ImageInput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/tflite-run"
        ),
        .testTarget(name: "TFLiteReaderTests", dependencies: ["TFLiteReader", "TFLiteCore"], path: "Tests/TFLiteReaderTests"),
        .testTarget(name: "OpsTests", dependencies: ["Ops", "Microkernels", "TFLiteCore", "CAllocationCounter"], path: "Tests/OpsTests"),
        // Test support: a counting malloc, so tests can state that invoke() allocates nothing.
        .target(name: "CAllocationCounter", path: "Tests/Support/CAllocationCounter"),
        .testTarget(name: "TFLiteTests", dependencies: ["TFLite", "TFLiteReader", "TFLiteCore", "CAllocationCounter"], path: "Tests/TFLiteTests",
                    exclude: ["Regressions"]),
        .testTarget(name: "ImageInputTests", dependencies: ["ImageInput", "TFLiteCore", "TFLiteReader"], path: "Tests/ImageInputTests"),
        .testTarget(name: "CLITests", dependencies: ["tflite-run"], path: "Tests/CLITests"),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)

// swift-tools-version:6.0
// libFuzzer target over model bytes: reader → interpreter prepare → one invoke.
// A package of its own, because a fuzzer executable gets its `main` from libFuzzer:
//   swift build -c debug --product FuzzModel -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// (`make fuzz` in the parent folder does this and runs it.)
import PackageDescription

let package = Package(
    name: "swift-tflite-fuzz",
    dependencies: [.package(name: "swift-tflite", path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzModel",
            dependencies: [.product(name: "TFLite", package: "swift-tflite")],
            path: "Sources/FuzzModel"
        ),
    ],
    swiftLanguageModes: [.v5]
)

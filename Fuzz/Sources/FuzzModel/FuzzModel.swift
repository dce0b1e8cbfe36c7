import Foundation
import TFLite

/// libFuzzer's entry point: any bytes as a model. Reading, preparing and one invoke on zeroed
/// inputs must end in a model or a typed error — never a crash, a hang or an unbounded
/// allocation (the interpreter's memory budget is set low here).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let data = Data(bytes: start, count: count)
    // A small budget: a model may legitimately ask for hundreds of megabytes of work, which
    // only slows the fuzzer down without exercising anything new.
    let options = Interpreter.Options(threadCount: 1, memoryBudget: 16 << 20)
    guard let interpreter = try? Interpreter(modelData: data, options: options) else { return 0 }
    guard (try? interpreter.allocateTensors()) != nil else { return 0 }
    _ = try? interpreter.invoke()
    for index in 0..<interpreter.outputTensorCount { _ = try? interpreter.output(at: index) }
    return 0
}

/// libFuzzer's driver, from its runtime (`-sanitize=fuzzer`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable target's entry point under this name; hand control to libFuzzer.
@_cdecl("FuzzModel_main")
public func fuzzModelMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzModel)
}

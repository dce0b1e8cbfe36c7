import ArgumentParser
import Foundation

/// `tflite-run`: run, inspect and measure TensorFlow Lite models with this package's kernels.
@main
struct TFLiteRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tflite-run",
        abstract: "Run, inspect and measure TensorFlow Lite models.",
        subcommands: [RunCommand.self, DumpCommand.self, CompareCommand.self, BenchCommand.self],
        defaultSubcommand: nil
    )
}

/// Prints `error: message` as one line on standard error and returns the failure exit code,
/// the way every subcommand reports a problem with a model or an argument.
func failure(_ message: String) -> ExitCode {
    let line = message.replacingOccurrences(of: "\n", with: " ")
    FileHandle.standardError.write(Data("error: \(line)\n".utf8))
    return ExitCode.failure
}

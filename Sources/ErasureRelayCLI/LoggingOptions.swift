import ArgumentParser
import ErasureRelay
import Foundation
import Logging

struct LoggingOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Log level: trace, debug, info, notice, warning, error, critical. Default: LOG_LEVEL or info."
    )
    var logLevel: String?

    /// - Parameter sink: where log lines go; standard error for commands whose standard output is their result.
    func bootstrap(label: String, sink: @escaping JSONLogHandler.Sink = JSONLogHandler.standardOutput) throws -> Logger
    {
        let name = logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            throw ValidationError("--log-level: '\(name)' is not a log level")
        }
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, sink: sink) }
        return Logger(label: label)
    }
}

/// Writes lines meant for a person at the terminal (not log records).
func say(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

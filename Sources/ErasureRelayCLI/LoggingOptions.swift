import ArgumentParser
import ErasureRelay
import Foundation
import Logging

struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical. Default: LOG_LEVEL or info.")
    var logLevel: String?

    func bootstrap(label: String) throws -> Logger {
        let name = logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            throw ValidationError("--log-level: '\(name)' is not a log level")
        }
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        return Logger(label: label)
    }
}

/// Writes lines meant for a person at the terminal (not log records).
func say(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

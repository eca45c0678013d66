import ErasureRelay
import Foundation
import Logging
import Synchronization
import Testing

/// Collects every log line, rendered as the service renders them, so tests can scan what a run logged. Every line
/// also goes through ``TestLogs``' identifier scan.
public final class LogCapture: Sendable {
    private let lines = Watched<[String]>([])

    public init() {}

    /// A logger at `level` writing into this capture.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        Logger(label: label) { label in
            JSONLogHandler(label: label, level: level) { [self] line in
                TestLogs.scan(line)
                self.lines.update { $0.append(line) }
            }
        }
    }

    public var all: [String] { lines.value }

    /// Waits until a line containing `text` is logged.
    public func wait(forLineContaining text: String, timeout: Duration = .seconds(60)) async throws {
        _ = try await lines.wait(timeout: timeout) { $0.contains { $0.contains(text) } }
    }
}

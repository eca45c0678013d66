import ErasureRelay
import Logging
import Synchronization

/// Collects every log line, rendered as the service renders them, so tests can scan what a run logged.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// A logger at `level` writing into this capture.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        Logger(label: label) { label in
            JSONLogHandler(label: label, level: level) { [self] line in self.lines.withLock { $0.append(line) } }
        }
    }

    public var all: [String] { lines.withLock { $0 } }
}

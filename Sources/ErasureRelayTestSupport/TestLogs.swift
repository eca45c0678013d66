import ErasureRelay
import Foundation
import Logging
import Synchronization
import Testing

/// The end-to-end tests' logging: every line at trace level, scanned for the identifiers the tests' requests carry.
///
/// ``requestJSON(id:regulation:subject:vendors:)`` registers each identifier it writes; a log line holding one, in
/// plain or percent-encoded form, is kept as a leak, and ``withRelayTestbed(partitions:brokers:sandbox:logger:_:)``
/// fails once one was found. So the scan covers every path a test drives, the failure paths included.
public enum TestLogs {
    private struct State {
        var identifiers: Set<String> = []
        var leaks: [String] = []
    }

    private static let state = Mutex(State())

    /// A trace-level logger whose lines are scanned; lines at `info` and above are also kept for people, in the
    /// running test's own file (``TestLogFiles``), so that a passing test prints nothing and a failing one's log is
    /// at hand.
    public static func logger(label: String) -> Logger {
        Logger(label: label) { label in
            JSONLogHandler(label: label, level: .trace) { line in
                scan(line)
                if !line.contains(#""level":"trace""#) && !line.contains(#""level":"debug""#) {
                    TestLogFiles.write(line)
                }
            }
        }
    }

    /// A logger at `level` for logs that matter only when their test fails: its lines go to the running test's file,
    /// unscanned (a vendor stand-in logs what it was sent).
    public static func quietLogger(label: String, level: Logger.Level = .info) -> Logger {
        Logger(label: label) { label in JSONLogHandler(label: label, level: level, sink: TestLogFiles.write) }
    }

    /// Marks `identifiers` as ones no log line may hold.
    public static func watch(_ identifiers: some Sequence<String>) {
        state.withLock { $0.identifiers.formUnion(identifiers) }
    }

    /// The lines that held a watched identifier so far.
    public static var leaks: [String] { state.withLock { $0.leaks } }

    /// Throws if any line so far held a watched identifier.
    public static func checkNoLeaks() throws {
        let leaks = leaks
        guard leaks.isEmpty else {
            throw ChildProcessError("\(leaks.count) log lines hold an identifier; the first: \(leaks[0])")
        }
    }

    static func scan(_ line: String) {
        let decoded = line.removingPercentEncoding ?? line
        let tokens = Set(
            (line + " " + decoded).split { !($0.isLetter || $0.isNumber || "-_.@+".contains($0)) }.map(String.init)
        )
        state.withLock { state in
            if !state.identifiers.isDisjoint(with: tokens) { state.leaks.append(line) }
        }
    }
}

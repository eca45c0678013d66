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

/// Each test's log lines in a file of its own, `.build/test-logs/TEST.log`, named after the running test (lines
/// logged outside any test go to `unattributed.log`). `scripts/test` prints the files of the tests that failed; with
/// `ERASURE_RELAY_TEST_LOGS=print` the lines are printed as they come, as well.
public enum TestLogFiles {
    private static let files = Mutex<[String: FileHandle]>([:])
    private static let printing = ProcessInfo.processInfo.environment["ERASURE_RELAY_TEST_LOGS"] == "print"

    /// Where the files are.
    public static let directory = packageRoot().appendingPathComponent(".build/test-logs")

    /// The file name for a test: its name with every character but letters, digits, `.`, `-` and `_` as `_`.
    public static func fileName(forTest name: String) -> String {
        String(
            name.unicodeScalars.map { scalar in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "_"
            }
        ) + ".log"
    }

    static func write(_ line: String) {
        if printing { print(line) }
        let name = fileName(forTest: Test.current.map { $0.displayName ?? $0.name } ?? "unattributed")
        files.withLock { files in
            if files[name] == nil {
                // A file of an earlier run is replaced: it belongs to that run.
                try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let url = directory.appendingPathComponent(name)
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                files[name] = try? FileHandle(forWritingTo: url)
            }
            files[name]?.write(Data((line + "\n").utf8))
        }
    }
}

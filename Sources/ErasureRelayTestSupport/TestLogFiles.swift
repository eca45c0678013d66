import ErasureRelay
import Foundation
import Logging
import Synchronization
import Testing

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

import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Testing

/// The README is where a newcomer starts: its command table and its command blocks are held to the program, so that
/// neither can drift from it.
@Suite("The README against the program", .serialized, .timeLimit(.minutes(3)))
struct ReadmeTests {
    static let readme: String =
        (try? String(contentsOf: packageRoot().appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    /// The commands of the table, by the words that start their row.
    static let commands: [(words: [String], row: String)] = [
        (["run"], "`erasure-relay [run]"), (["replay"], "`erasure-relay replay"), (["report"], "`erasure-relay report"),
        (["dev-broker"], "`erasure-relay dev-broker"), (["sandbox"], "`erasure-relay sandbox"),
        (["vendors", "render"], "`erasure-relay vendors render"), (["check-config"], "`erasure-relay check-config"),
    ]

    @Test(arguments: commands.map(\.words))
    func theCommandTableListsEveryOptionHelpShows(words: [String]) async throws {
        let help = try ChildProcess(erasureRelayExecutable(), words + ["--help"])
        #expect(try await help.waitForExit(timeout: .seconds(30)) == 0)
        let options = Set(
            help.standardOutput.matches(of: /\n\s+(?:-[a-z], )?(--[a-z][a-z-]*)/).map { String($0.1) }
        ).subtracting(["--help", "--version", "--log-level"])
        #expect(!options.isEmpty)
        let prefix = try #require(Self.commands.first { $0.words == words }?.row)
        let row = try #require(Self.readme.split(separator: "\n").first { $0.hasPrefix("| \(prefix)") })
        for option in options.sorted() {
            #expect(row.contains(option), "the README's row for \(words.joined(separator: " ")) lacks \(option)")
        }
        // --log-level is common to every command, and the README says so once.
        #expect(help.standardOutput.contains("--log-level"))
        #expect(Self.readme.contains("Every command takes `--log-level`"))
    }

    /// The blocks the README marks with `<!-- run: ... -->`, with what the mark says.
    static func markedBlocks() -> [(mark: String, script: String)] {
        var blocks: [(String, String)] = []
        var lines = readme.split(separator: "\n", omittingEmptySubsequences: false)[...]
        while let line = lines.popFirst() {
            guard let mark = line.firstMatch(of: /^<!-- run: ([a-z-]+) -->$/)?.1 else { continue }
            guard lines.popFirst() == "```sh" else { continue }
            var script: [Substring] = []
            while let next = lines.popFirst(), next != "```" { script.append(next) }
            blocks.append((String(mark), script.joined(separator: "\n")))
        }
        return blocks
    }

    /// Runs the README's blocks as a newcomer pastes them, in a folder of their own beside `examples/`: the quick
    /// start's service, the request and outcome commands it prints, check-config on the example configuration,
    /// vendors render, the sandbox and the report.
    @Test func theReadmesCommandBlocksRunAsWritten() async throws {
        let blocks = Self.markedBlocks()
        #expect(Set(blocks.map(\.mark)) == ["service", "command", "outcomes", "until-output"], "\(blocks.map(\.mark))")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("erasure-relay-readme-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent("examples"),
            withDestinationURL: packageRoot().appendingPathComponent("examples")
        )
        // `erasure-relay` and `swift run erasure-relay` are the program this test was built with.
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: bin.appendingPathComponent("erasure-relay"),
            withDestinationURL: URL(fileURLWithPath: erasureRelayExecutable())
        )
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["HOME"] = folder.path
        /// The block as bash runs it; one that serves until stopped takes bash's place, so that a signal reaches it.
        func script(_ text: String, bootstrap: String?, serving: Bool = false) -> String {
            var text = text.replacingOccurrences(of: "swift run erasure-relay", with: "erasure-relay")
                .replacingOccurrences(of: "scripts/install-dependencies && ", with: "")
            if let bootstrap { text = text.replacingOccurrences(of: "127.0.0.1:PORT", with: bootstrap) }
            if serving { text = "exec " + text }
            return "set -euo pipefail\ncd '\(folder.path)'\n" + text
        }

        var service: ChildProcess?
        var bootstrap: String?
        defer { service?.signal(SIGTERM) }
        for (mark, text) in blocks {
            switch mark {
            case "service":
                let started = try ChildProcess(
                    "/bin/bash",
                    ["-c", script(text, bootstrap: nil, serving: true)],
                    environment: environment
                )
                service = started
                try await started.waitForOutput(containing: ErasureRelayService.readyMessage)
                let line = try #require(
                    started.standardError.split(separator: "\n").first { $0.contains("Embedded Kafka broker: ") }
                )
                bootstrap = String(line.split(separator: " ")[3])
            case "until-output":
                // A foreground command that serves until stopped: its first output is what the block is for.
                let started = try ChildProcess(
                    "/bin/bash",
                    ["-c", script(text, bootstrap: bootstrap, serving: true)],
                    environment: environment
                )
                try await started.waitForOutput(containing: "\n")
                started.signal(SIGTERM)
                _ = try? await started.waitForExit(timeout: .seconds(30))
                #expect(started.standardOutput.hasPrefix("vendors:"), "\(started.standardOutput)")
            default:
                if mark == "outcomes" {
                    // As the README says: once the service has published the outcome.
                    try await #require(service).waitForOutput(containing: "Outcome published")
                }
                let run = try ChildProcess(
                    "/bin/bash",
                    ["-c", script(text, bootstrap: bootstrap)],
                    environment: environment
                )
                let status = try await run.waitForExit(timeout: .seconds(90))
                #expect(status == 0, "\(text)\n\(run.standardOutput)\n\(run.standardError)")
                if mark == "outcomes" {
                    #expect(run.standardOutput.contains(#""status":"completed""#), "\(run.standardOutput)")
                }
            }
        }
        if let service {
            service.signal(SIGTERM)
            #expect(try await service.waitForExit(timeout: .seconds(40)) == 0, "\(service.standardError)")
        }
    }
}

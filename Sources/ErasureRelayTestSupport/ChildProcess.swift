import Foundation
import Synchronization

/// A child process whose output is collected as it arrives, and which is killed if a test leaves it running.
public final class ChildProcess: Sendable {
    private let process: ProcessBox
    private let output = Watched<[UInt8]>([])
    private let errors = Watched<[UInt8]>([])
    private let exitStatus = Watched<Int32?>(nil)

    /// The longest any child of a test may live. A test that hangs (waiting on something its time limit cannot
    /// cancel) would otherwise keep its brokers and relays running and the test process from ever exiting: past
    /// this, the child is killed, and whatever the test waits for from it ends in an error.
    public static let maxLifetime = Duration.seconds(600)

    /// Starts `executable` with `arguments`, feeding `input` on standard input if given.
    /// - Parameter lifetime: how long the child may run before it is killed, as a test's outer bound.
    public init(
        _ executable: String,
        _ arguments: [String],
        input: [UInt8]? = nil,
        environment: [String: String]? = nil,
        lifetime: Duration = ChildProcess.maxLifetime
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        let output = output
        let errors = errors
        let exitStatus = exitStatus
        // Each pipe is read on a thread of its own with blocking reads, not with readabilityHandler: tearing down
        // the read source behind a handler races libdispatch's epoll bookkeeping on Linux and crashed the test
        // process in _dispatch_event_loop_drain (swift-corelibs-libdispatch issue 949).
        let readers = DispatchGroup()
        for (pipe, sink) in [(stdout, output), (stderr, errors)] {
            readers.enter()
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread {
                defer { readers.leave() }
                while true {
                    let data = handle.availableData
                    if data.isEmpty { return }
                    sink.update { $0.append(contentsOf: data) }
                }
            }
        }
        process.terminationHandler = { process in
            // Announce the exit once the output is read, so that a caller sees all of it. A descriptor inherited by
            // a process of the child's own keeps its pipe open: do not wait for that longer than a few seconds.
            _ = readers.wait(timeout: .now() + .seconds(5))
            exitStatus.update { $0 = process.terminationStatus }
        }
        try process.run()
        self.process = ProcessBox(process: process)
        let pid = process.processIdentifier
        let name = URL(fileURLWithPath: executable).lastPathComponent
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(lifetime.components.seconds))) {
            guard exitStatus.value == nil else { return }
            FileHandle.standardError.write(
                Data("\(name) \(arguments.first ?? "") outlived its bound of \(lifetime); killed\n".utf8)
            )
            kill(pid, SIGKILL)
        }
        if let input {
            stdin.fileHandleForWriting.write(Data(input))
        }
        try? stdin.fileHandleForWriting.close()
    }

    public var standardOutput: String { String(decoding: output.value, as: UTF8.self) }
    public var standardError: String { String(decoding: errors.value, as: UTF8.self) }
    public var isRunning: Bool { exitStatus.value == nil }
    public var processIdentifier: Int32 { process.process.processIdentifier }

    /// Waits for the first complete line of standard output.
    public func firstLine(timeout: Duration = .seconds(30)) async throws -> String {
        let bytes = try await output.wait(timeout: timeout) { $0.contains(UInt8(ascii: "\n")) }
        return String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// Waits until standard output contains `text`.
    public func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async throws {
        _ = try await output.wait(timeout: timeout) { String(decoding: $0, as: UTF8.self).contains(text) }
    }

    /// Waits until standard error holds `text`, as the lines the service says to the person at the terminal.
    public func waitForErrorOutput(containing text: String, timeout: Duration = .seconds(60)) async throws {
        _ = try await errors.wait(timeout: timeout) { String(decoding: $0, as: UTF8.self).contains(text) }
    }

    /// Waits for the process to exit and returns its status.
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        try await exitStatus.wait(timeout: timeout) { $0 != nil }!
    }

    /// Sends `signal` (SIGTERM by default).
    public func signal(_ signal: Int32 = SIGTERM) {
        if isRunning { kill(processIdentifier, signal) }
    }

    deinit {
        if isRunning { kill(processIdentifier, SIGKILL) }
    }
}

private struct ProcessBox: @unchecked Sendable {
    // Process is thread-safe for the calls made after run(): reading its identifier.
    let process: Process
}

import ArgumentParser
import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import VendorSandbox

/// Peak resident memory of the service, run as its own process, working through a backlog.
struct MemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Peak resident memory of `erasure-relay run` working through a backlog on a separate dev-broker."
    )

    @Option(help: "Requests in the backlog.") var backlog = 10_000
    @Option(help: "Partitions of the request topic (the embedded broker keeps about 5 MB each).") var partitions = 64
    @Option(help: "Vendors each request targets.") var vendors = "braze"
    @Option(help: "The erasure-relay executable; by default the one next to this benchmark.") var relay: String?

    func run() async throws {
        let logger = BenchBacklog.logger
        let targets = try BenchBacklog.vendors(vendors)
        let executable = relay ?? BenchRun.siblingExecutable("erasure-relay")
        let broker = try ChildProcess(
            executable,
            ["dev-broker", "--partitions", "\(partitions)", "--log-level", "error"]
        )
        defer { broker.signal() }
        let bootstrap = try await broker.firstLine()
        try await BenchBacklog.produce(backlog, to: "user-erasure", broker: bootstrap, vendors: targets, logger: logger)
        let sandbox = VendorSandbox(configuration: .unmetered, logger: logger)
        let group = ServiceGroup(services: [sandbox], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let settings = try await sandbox.relayVendorSettings()
            let configPath = NSTemporaryDirectory() + "erasure-relay-bench-\(getpid()).yaml"
            var yaml = "kafka:\n  bootstrap_servers: \"\(bootstrap)\"\n  group_id: bench-memory\n"
            yaml += "parking:\n  signing_key: \"erasure-relay-bench-signing-key-0123456789\"\nvendors:\n"
            for (vendor, setting) in settings.sorted(by: { $0.key < $1.key }) {
                yaml += "  \(vendor.rawValue):\n    base_url: \"\(setting.baseURL)\"\n"
                yaml += "    rate_limit: { requests: 10000000, window_seconds: 1 }\n    max_concurrency: 32\n"
                yaml += setting.account.configurationLines(revealingSecrets: true).map { "    \($0)\n" }.joined()
            }
            try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: configPath) }
            let started = ContinuousClock.now
            let relay = try ChildProcess(executable, ["run", "--config", configPath, "--log-level", "warning"])
            defer { relay.signal() }
            let counted = try await BenchRun.countOutcomes(
                bootstrap: bootstrap,
                expecting: backlog,
                logger: logger,
                while: { relay.isRunning }
            )
            guard counted == backlog else {
                throw ValidationError("the relay exited after \(counted) outcomes:\n\(relay.standardError)")
            }
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            let peak = BenchRun.peakResidentBytes(of: relay.processIdentifier) ?? 0
            relay.signal()
            _ = try await relay.waitForExit()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            print(
                """
                | backlog | partitions | vendors | outcomes | seconds | peak RSS (MB) |
                |---|---|---|---|---|---|
                | \(backlog) | \(partitions) | \(vendors) | \(counted) | \(String(format: "%.1f", elapsed)) | \(String(format: "%.1f", Double(peak) / 1_048_576)) |
                """
            )
        }
    }
}

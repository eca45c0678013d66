import ArgumentParser
import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization
import VendorSandbox

/// Calls per window against each vendor's quota under a backlog, and the 429s.
struct QuotaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota",
        abstract: "Quota use per vendor under backlog (calls per window / quota) and the number of 429s."
    )

    @Option(help: "Seconds to run.") var seconds = 30
    @Option(help: "Quota window in seconds, for every vendor.") var window = 10

    func run() async throws {
        let logger = BenchBacklog.logger
        let quotas: [SandboxVendor: Int] = [.braze: 200, .moengage: 300, .moengageGDPR: 60, .engagelab: 250]
        var sandboxConfiguration = SandboxConfiguration()
        for (vendor, requests) in quotas {
            sandboxConfiguration.quotas[vendor] = .init(requests: requests, windowSeconds: Double(window))
        }
        let broker = try BenchBacklog.broker(partitions: 8, logger: logger)
        defer { broker.shutdown() }
        let topics = RelayConfiguration.Kafka()
        // More work than the quotas allow in the time given: every lane stays backlogged throughout.
        let backlog = quotas.values.max()! * (seconds / window + 2)
        try await BenchBacklog.produce(
            backlog,
            to: topics.requestTopic,
            broker: broker.bootstrapServers,
            vendors: VendorID.builtIn,
            logger: logger
        )
        let sandbox = VendorSandbox(configuration: sandboxConfiguration, logger: logger)
        _ = try await BenchRun.relay(
            sandbox: sandbox,
            bootstrap: broker.bootstrapServers,
            expecting: nil,
            for: .seconds(seconds),
            logger: logger
        ) { settings in
            settings.rateLimit = .init(
                requests: quotas[SandboxVendor(rawValue: settings.vendor.rawValue)!]!,
                windowSeconds: window
            )
            // Big batches would hide the limiter: one identifier per call makes every request cost a call.
            settings.batching.maxSize = 1
        }
        print("| vendor | quota | peak calls in any \(window) s window | use | 429s |\n|---|---|---|---|---|")
        for vendor in SandboxVendor.allCases {
            let record = await sandbox.record(of: vendor)
            let quota = quotas[vendor]!
            print(
                "| \(vendor.rawValue) | \(quota)/\(window) s | \(record.peakCallsInWindow) | "
                    + "\(String(format: "%.1f%%", Double(record.peakCallsInWindow) * 100 / Double(quota))) | "
                    + "\(record.quotaViolations) |"
            )
        }
    }
}

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

/// Requests per second while one vendor hangs, next to every vendor answering.
struct OutageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outage",
        abstract: "Requests per second while one vendor hangs past its timeout, next to every vendor answering."
    )

    @Option(help: "Requests in the backlog.") var requests = 3000
    @Option(help: "Partitions of the request topic.") var partitions = 8
    @Option(help: "Vendors each request targets.") var vendors = "braze,moengage_gdpr,engagelab"
    @Option(help: "The vendor whose every call hangs.") var down = "engagelab"
    @Option(help: "timeout_seconds for every vendor.") var timeout = 2

    func run() async throws {
        let logger = BenchBacklog.logger
        let targets = try BenchBacklog.vendors(vendors)
        guard let downVendor = SandboxVendor(rawValue: down) else {
            throw ValidationError("--down: unknown vendor \(down)")
        }
        let broker = try BenchBacklog.broker(partitions: partitions, logger: logger)
        defer { broker.shutdown() }
        try await BenchBacklog.produce(
            requests,
            to: RelayConfiguration.Kafka().requestTopic,
            broker: broker.bootstrapServers,
            vendors: targets,
            logger: logger
        )
        // Requests fail, rather than park, once the lane gives up: each run ends with one outcome per request.
        var parking = RelayConfiguration.Parking()
        parking.maxParks = 0
        var rows: [String] = []
        for hanging in [false, true] {
            let sandbox = VendorSandbox(configuration: .unmetered, logger: logger)
            if hanging { await sandbox.inject(.hang(seconds: timeout + 1), count: 10_000_000, into: downVendor) }
            let seconds = try await BenchRun.relay(
                sandbox: sandbox,
                bootstrap: broker.bootstrapServers,
                expecting: requests,
                parking: parking,
                logger: logger
            ) { [timeout] settings in
                settings.rateLimit = .init(requests: 10_000_000, windowSeconds: 1)
                settings.timeoutSeconds = timeout
                settings.retry.maxAttempts = 3
            }
            let calls = await sandbox.record(of: downVendor).calls
            rows.append(
                "| \(hanging ? "\(down) hangs" : "every vendor answers") | \(Int(Double(requests) / seconds)) "
                    + "| \(calls) |"
            )
        }
        print(
            """
            | \(requests) requests, vendors \(vendors), timeout \(timeout) s, 3 attempts | req/s | calls to \(down) |
            |---|---|---|
            \(rows.joined(separator: "\n"))
            """
        )
    }
}

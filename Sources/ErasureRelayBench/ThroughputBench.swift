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

/// End-to-end requests per second through the broker, next to kcat relaying the same topic.
struct ThroughputBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Requests per second end to end, every vendor answering at once, next to a kcat relay."
    )

    @Option(help: "Requests in the backlog.") var requests = 20_000
    @Option(help: "Partitions of the request topic.") var partitions = 8
    @Option(help: "Vendors each request targets.") var vendors = "braze,moengage,moengage_gdpr,engagelab"

    @Flag(help: "Print the relay's metrics after the run.") var showMetrics = false
    @Option(help: "pipeline.max_in_flight for the run.") var maxInFlight = RelayConfiguration.Pipeline().maxInFlight
    @Option(help: "A librdkafka property for the relay, as KEY=VALUE. Repeatable.") var kafkaProperty: [String] = []

    func run() async throws {
        let logger = BenchBacklog.logger
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let targets = try BenchBacklog.vendors(vendors)
        let broker = try BenchBacklog.broker(partitions: partitions, extraTopics: ["kcat-relay-copy"], logger: logger)
        defer { broker.shutdown() }
        let topics = RelayConfiguration.Kafka()
        let produceStarted = ContinuousClock.now
        try await BenchBacklog.produce(
            requests,
            to: topics.requestTopic,
            broker: broker.bootstrapServers,
            vendors: targets,
            logger: logger
        )
        let produceSeconds = (ContinuousClock.now - produceStarted) / .seconds(1)
        let kcatSeconds = try await kcatRelaySeconds(
            bootstrap: broker.bootstrapServers,
            from: topics.requestTopic,
            count: requests
        )
        let sandbox = VendorSandbox(configuration: .unmetered, logger: logger)
        var pipeline = RelayConfiguration.Pipeline()
        pipeline.maxInFlight = maxInFlight
        pipeline.resumeBelow = maxInFlight * 3 / 4
        let properties = Dictionary(
            kafkaProperty.compactMap { entry -> (String, String)? in
                let parts = entry.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }
        ) { $1 }
        let outcomes = OutcomeCounter()
        let relaySeconds = try await BenchRun.relay(
            sandbox: sandbox,
            bootstrap: broker.bootstrapServers,
            expecting: requests,
            pipeline: pipeline,
            kafkaProperties: properties,
            outcomes: outcomes,
            logger: logger
        ) { settings in
            settings.rateLimit = .init(requests: 10_000_000, windowSeconds: 1)
            settings.maxConcurrency = 32
        }
        let relayRate = outcomes.steadyRate ?? 0
        let withJoiningRate = Double(requests) / relaySeconds
        let kcatRate = Double(requests) / kcatSeconds
        print(
            """
            | requests | partitions | vendors | erasure-relay (req/s) | with joining the group (req/s) | kcat consume→produce (msg/s) | ratio |
            |---|---|---|---|---|---|---|
            | \(requests) | \(partitions) | \(vendors) | \(Int(relayRate)) | \(Int(withJoiningRate)) | \(Int(kcatRate)) | \(String(format: "%.2f", relayRate / kcatRate)) |

            \(showMetrics ? registry.emitToString().split(separator: "\n").filter { $0.contains("_sum") || $0.contains("_count") || $0.contains("_total") }.joined(separator: "\n") : "")
            Backlog produced by erasure-relay's producer, each send awaiting its acknowledgement: \(Int(Double(requests) / produceSeconds)) msg/s.
            """
        )
    }

    /// kcat reading the request topic and producing every message to another topic, as one shell pipeline.
    private func kcatRelaySeconds(bootstrap: String, from topic: String, count: Int) async throws -> Double {
        let started = ContinuousClock.now
        let kcat = try ChildProcess(
            "/bin/sh",
            [
                "-c",
                "kcat -C -b \(bootstrap) -t \(topic) -o beginning -c \(count) -q -K '\\t' -f '%k\\t%s\\n' "
                    + "| kcat -P -b \(bootstrap) -t kcat-relay-copy -K '\\t' -X acks=all -X enable.idempotence=true",
            ]
        )
        let status = try await kcat.waitForExit(timeout: .seconds(600))
        guard status == 0 else { throw ValidationError("the kcat relay failed with status \(status)") }
        return (ContinuousClock.now - started) / .seconds(1)
    }
}

import AsyncHTTPClient
import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Prometheus
import ServiceLifecycle
import Testing
import VendorSandbox

@Suite("Operating the relay: health, metrics and logs", .serialized, .timeLimit(.minutes(3)))
struct ObservabilityTests {
    @Test func healthMetricsAndTraceLogsNeverShowIdentifiersOrCredentials() async throws {
        let capture = LogCapture()
        let logger = capture.logger(label: "erasure-relay", level: .trace)
        let broker = try EmbeddedBroker(logger: TestLogs.logger(label: "broker"))
        defer { broker.shutdown() }
        var configuration = RelayConfiguration()
        for topic in configuration.kafka.topics {
            try broker.createTopic(topic, partitions: 2)
        }
        configuration.kafka.properties = fastGroupProperties
        configuration.parking.signingKeys = testSigningKeys
        let registry = PrometheusCollectorRegistry()
        let health = RelayHealth()
        let collector = OutcomeCollector()
        let identifiers = [
            "pii-external-7", "pii-person@example.com", "+15559876543", "pii-braze-9", "pii-reg-3",
            "pii-alias-name", "pii-gaid",
        ]
        let requests = [
            requestJSON(
                id: "obs-1",
                subject: [
                    "external_id": identifiers[0], "email": identifiers[1], "phone": identifiers[2],
                    "braze_id": identifiers[3],
                    "engagelab_registration_ids": [identifiers[4]],
                    "user_aliases": [["alias_name": identifiers[5], "alias_label": "crm"]],
                    "google_advertising_id": identifiers[6],
                ]
            ),
            requestJSON(id: "obs-2", subject: ["email": "not-an-email-\(identifiers[0])"]),
        ]
        try await withSandbox(logger: logger) { sandbox async throws in
            configuration.vendors = try await sandbox.relayVendorSettings()
            try await Self.withOperatedRelay(
                configuration: configuration,
                broker: broker,
                health: health,
                registry: registry,
                logger: logger
            ) { base in
                let http = RawHTTP()
                #expect(try await http.call(.GET, base + "/healthz").status == 200)
                try await Kcat.produce(bootstrap: broker.bootstrapServers, topic: "user-erasure", lines: requests)
                let outcomes = try await Kcat.consume(
                    bootstrap: broker.bootstrapServers,
                    topic: "user-erasure-outcomes",
                    count: 2
                )
                for line in outcomes { collector.record(try JSONDecoder().decode(Outcome.self, from: Data(line.utf8))) }
                #expect(try await http.call(.GET, base + "/readyz").status == 200)
                let text = try await http.call(.GET, base + "/metrics").body
                let expected = [
                    "erasure_relay_requests_consumed_total": 2.0,
                    #"erasure_relay_outcomes_total{status="completed"}"#: 1,
                    #"erasure_relay_outcomes_total{status="rejected"}"#: 1,
                    #"erasure_relay_outcomes_total{status="failed"}"#: 0,
                    "erasure_relay_outcome_publish_duration_seconds_count": 2,
                    "erasure_relay_request_duration_seconds_count": 2,
                ]
                for (series, value) in expected {
                    #expect(PrometheusText.value(of: series, in: text) == value, "\(series)")
                }
                for name in [
                    "erasure_relay_vendor_calls_total", "erasure_relay_vendor_call_duration_seconds_bucket",
                    "erasure_relay_vendor_batch_size", "erasure_relay_requests_in_flight",
                ] {
                    #expect(text.contains(name), "missing \(name)")
                }
                for identifier in identifiers { #expect(!text.contains(identifier)) }
            }
            #expect(!health.isReady)
        }
        #expect(Set(collector.all.map(\.status)) == Set<Outcome.Status>([.completed, .rejected]))
        let lines = capture.all
        #expect(lines.count > 20)
        #expect(lines.contains { $0.contains("\"level\":\"trace\"") || $0.contains("\"level\":\"debug\"") })
        let secrets =
            identifiers + [
                "sandbox-braze-key", "sandbox-moengage-key", "sandbox-gdpr-key", "sandbox-master-secret",
                "Authorization", "Bearer ", "Basic ",
            ]
        for line in lines {
            for secret in secrets {
                #expect(!line.contains(secret), "a log line holds \(secret): \(line)")
            }
        }
    }

    /// Runs the relay and its operations server, as the `run` command does, for the length of `body`, which is
    /// given the server's base URL.
    static func withOperatedRelay(
        configuration: RelayConfiguration,
        broker: EmbeddedBroker,
        health: RelayHealth = RelayHealth(),
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        _ body: (String) async throws -> Void
    ) async throws {
        let relay = RelayApplication(
            configuration: configuration,
            bootstrapServers: broker.bootstrapServers,
            health: health,
            metrics: RelayMetrics(factory: PrometheusMetricsFactory(registry: registry)),
            logger: logger
        )
        let port = Watched<Int?>(nil)
        let operations = OperationsServer(
            host: "127.0.0.1",
            port: 0,
            health: health,
            metrics: { registry.emitToBuffer() },
            logger: logger,
            onListening: { bound in port.update { $0 = bound } }
        )
        let group = ServiceGroup(services: [operations, relay], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body("http://127.0.0.1:\(try await port.wait(timeout: .seconds(30)) { $0 != nil }!)")
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Foundation
import Kafka
import Prometheus
import Testing
import VendorSandbox

/// A real Prometheus scrapes the running relay with the shipped alert rules loaded; every series the alerts and the
/// Grafana dashboard use must exist with the labels they use, every rule must evaluate, and every panel must show
/// data. An alert or a panel that names a metric the relay no longer exports fails here.
@Suite("Prometheus: alerts and dashboard against the real server", .serialized, .timeLimit(.minutes(3)))
struct PrometheusScrapeTests {
    let logger = TestLogs.logger(label: "prometheus")

    static let alertsFile = packageRoot().appendingPathComponent("deploy/prometheus/alerts.yaml").path
    static let dashboardFile = packageRoot().appendingPathComponent("deploy/grafana/erasure-relay.json").path

    @Test func everySeriesTheAlertsAndTheDashboardUseIsExported() async throws {
        let alerts = try AlertRules(file: Self.alertsFile)
        let panels = try DashboardQueries(file: Self.dashboardFile)
        #expect(alerts.expressions.count >= 9)
        #expect(panels.expressions.count >= 11)
        let broker = try EmbeddedBroker(logger: logger)
        defer { broker.shutdown() }
        var configuration = RelayConfiguration()
        for topic in configuration.kafka.topics {
            try broker.createTopic(topic, partitions: 2)
        }
        configuration.kafka.properties = fastGroupProperties
        configuration.kafka.properties["statistics.interval.ms"] = "500"
        configuration.parking.signingKeys = testSigningKeys
        configuration.pipeline.drainTimeoutSeconds = 1
        let registry = PrometheusCollectorRegistry()
        try await withSandbox(logger: logger) { sandbox async throws in
            configuration.vendors = try await sandbox.relayVendorSettings()
            let collector = OutcomeCollector()
            try await ObservabilityTests.withOperatedRelay(
                configuration: configuration,
                broker: broker,
                registry: registry,
                logger: logger
            ) { base in
                let target = String(base.dropFirst("http://".count))
                let prometheus = try await PrometheusServer(
                    scraping: target,
                    job: "erasure-relay",
                    ruleFiles: [Self.alertsFile]
                )
                do {
                    let done = (0..<4).map { requestJSON(id: "p-\($0)", subject: ["external_id": "pu-\($0)"]) }
                    let rejected = requestJSON(id: "p-bad", subject: ["email": "not-an-email"])
                    try await Kcat.produce(bootstrap: broker.bootstrapServers, topic: "user-erasure", lines: done)
                    try await Kcat.produce(bootstrap: broker.bootstrapServers, topic: "user-erasure", lines: [rejected])
                    for line in try await Kcat.consume(
                        bootstrap: broker.bootstrapServers,
                        topic: "user-erasure-outcomes",
                        count: 5
                    ) {
                        collector.record(try JSONDecoder().decode(Outcome.self, from: Data(line.utf8)))
                    }
                    // One request waits out EngageLab's Retry-After of 100 s for the whole test (a backoff is
                    // jittered and could end at once), so that the in-flight series (the oldest request's age, its
                    // deadline's slack) have a value while Prometheus looks.
                    await sandbox.inject(.status(503, retryAfterSeconds: 100), into: .engagelab)
                    let held = requestJSON(
                        id: "p-held",
                        subject: ["engagelab_registration_ids": ["pr-1"]],
                        vendors: ["engagelab"]
                    )
                    try await Kcat.produce(bootstrap: broker.bootstrapServers, topic: "user-erasure", lines: [held])
                    try await Self.expectSeries(of: alerts.expressions + panels.expressions, in: prometheus)
                    try await Self.expectRulesEvaluate(alerts.names, in: prometheus)
                    for expression in panels.expressions {
                        let samples = try await prometheus.wait(forResultOf: expression, timeout: .seconds(30))
                        #expect(!samples.isEmpty, "the panel query \(expression) shows nothing")
                    }
                    // The relay's own view agrees with what Prometheus scraped.
                    let completed = try await prometheus.query(#"erasure_relay_outcomes_total{status="completed"}"#)
                    #expect(completed.compactMap { Double($0.value) }.reduce(0, +) == 4)
                } catch {
                    await prometheus.stop()
                    throw error
                }
                await prometheus.stop()
            }
            #expect(
                collector.all.map(\.status).sorted { $0.rawValue < $1.rawValue } == [
                    .completed, .completed, .completed, .completed, .rejected,
                ]
            )
        }
    }

    /// Each relay metric an expression names exists, with every label the expression groups or matches on, and
    /// with the label values it matches.
    static func expectSeries(of expressions: [String], in prometheus: PrometheusServer) async throws {
        var checked: Set<String> = []
        for expression in expressions {
            let usage = PromQLUsage(expression)
            for metric in usage.metrics where checked.insert("\(metric) \(usage.labels(of: metric))").inserted {
                var selector = "{__name__=\"\(metric)\""
                for (label, value) in usage.matchers(of: metric) { selector += ",\(label)=\"\(value)\"" }
                selector += "}"
                let samples = try await prometheus.wait(forResultOf: selector, timeout: .seconds(30))
                for label in usage.labels(of: metric) {
                    #expect(
                        samples.allSatisfy { $0.labels[label] != nil },
                        "\(metric) has no label \(label), which \(expression) uses"
                    )
                }
            }
        }
    }

    /// Every rule is evaluated by Prometheus without an error.
    static func expectRulesEvaluate(_ names: [String], in prometheus: PrometheusServer) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var health: [String: String] = [:]
        while ContinuousClock.now < deadline {
            health = try await prometheus.ruleHealth()
            if names.allSatisfy({ health[$0] != nil && health[$0] != "unknown" }) { break }
            // Rules are evaluated once a second.
            try await Task.sleep(for: .milliseconds(250))
        }
        for name in names {
            #expect(health[name] == "ok", "rule \(name) evaluates as \(health[name] ?? "missing")")
        }
    }
}

import ArgumentParser
import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Metrics
import Prometheus
import VendorSandbox

/// Time from a request's record to its outcome's record at a steady low rate, read from the records' timestamps, with
/// the mean time of each stage between.
struct LatencyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Record-to-outcome latency at a steady rate (p50, p99, max), with a stage-by-stage breakdown."
    )

    @Option(help: "Requests a second.") var rate = 10
    @Option(help: "Seconds to send requests for.") var seconds = 30
    @Option(help: "Vendors each request targets.") var vendors = "braze,moengage,moengage_gdpr,engagelab"
    @Option(help: "fetch.wait.max.ms for the relay; the embedded broker's own setting by default.")
    var fetchWaitMs = Int(EmbeddedBroker.consumerProperties["fetch.wait.max.ms"]!)!
    @Flag(help: "Set batch.linger_when_idle, so that batches linger even on an idle lane.") var lingerWhenIdle = false
    @Flag(
        help: """
            Subjects with one identifier kind per vendor (external_id, moengage_id, email, a registration id), \
            instead of the common shape: an external id, an e-mail, a phone number and a registration id.
            """
    )
    var singleKindSubjects = false
    @Flag(help: "Keep each vendor's default rate limit rather than lifting it out of the way.") var defaultQuotas =
        false
    @Option(help: "Milliseconds every sandbox vendor takes to answer.") var vendorLatencyMs = 0

    /// Request `bench-<index>` with the subject users commonly send: Braze gets three identifier kinds, each in a
    /// call of its own, and MoEngage GDPR one user with three identifiers.
    static func realisticRequestJSON(index: Int, vendors: [VendorID]) -> String {
        let vendorList = vendors.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
        return """
            {"request_id":"bench-\(index)","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z",\
            "subject":{"external_id":"user-\(index)","email":"user\(index)@example.com",\
            "phone":"+1555\(String(format: "%07d", index))","engagelab_registration_ids":["reg-\(index)"]},\
            "vendors":[\(vendorList)]}
            """
    }

    /// Requests sent while the consumer group forms are left out of the figures.
    static let warmUp = Duration.seconds(5)

    func run() async throws {
        let logger = BenchBacklog.logger
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let targets = try BenchBacklog.vendors(vendors)
        let broker = try BenchBacklog.broker(partitions: 8, logger: logger)
        defer { broker.shutdown() }
        var sandboxConfiguration = SandboxConfiguration.unmetered
        for vendor in SandboxVendor.allCases { sandboxConfiguration.latencyMilliseconds[vendor] = vendorLatencyMs }
        let sandbox = VendorSandbox(configuration: sandboxConfiguration, logger: logger)
        let warmUpCount = rate * Int(Self.warmUp / .seconds(1))
        let count = warmUpCount + rate * seconds
        // The stage means leave the warm-up out too: the relay's metrics are read as the first measured request is
        // sent, and only what they gained afterwards counts.
        let metricsAtWarmUp = Watched("")
        let vendorMilliseconds = try await withThrowingTaskGroup(of: Double?.self) { group in
            group.addTask { [fetchWaitMs, lingerWhenIdle, defaultQuotas] in
                let outcomes = OutcomeCounter()
                _ = try await BenchRun.relay(
                    sandbox: sandbox,
                    bootstrap: broker.bootstrapServers,
                    expecting: count,
                    consumerProperties: ["fetch.wait.max.ms": "\(fetchWaitMs)"],
                    outcomes: outcomes,
                    logger: logger
                ) { settings in
                    if !defaultQuotas { settings.rateLimit = .init(requests: 10_000_000, windowSeconds: 1) }
                    settings.batching.lingerWhenIdle = lingerWhenIdle
                }
                return outcomes.meanVendorMilliseconds(of: Set((warmUpCount..<count).map { "bench-\($0)" }))
            }
            group.addTask {
                try await produceSteadily(count, vendors: targets, bootstrap: broker.bootstrapServers, logger: logger) {
                    index in
                    if index == warmUpCount { metricsAtWarmUp.update { $0 = registry.emitToString() } }
                }
                return nil
            }
            var mean: Double?
            for try await result in group { mean = mean ?? result }
            return mean ?? 0
        }
        let requested = try await timestamps(bootstrap: broker.bootstrapServers, topic: "user-erasure")
        let published = try await timestamps(bootstrap: broker.bootstrapServers, topic: "user-erasure-outcomes")
        let latencies = (warmUpCount..<count).compactMap { index -> Double? in
            let key = "bench-\(index)"
            guard let sent = requested[key], let outcome = published[key] else { return nil }
            return Double(outcome - sent)
        }.sorted()
        guard latencies.count == count - warmUpCount else {
            throw ValidationError("only \(latencies.count) of \(count - warmUpCount) requests have an outcome")
        }
        print(
            report(
                latencies: latencies,
                vendorMilliseconds: vendorMilliseconds,
                metrics: registry.emitToString(),
                before: metricsAtWarmUp.value
            )
        )
    }

    /// Sends `count` requests at `rate` a second, each awaiting its acknowledgement, as an upstream system would.
    private func produceSteadily(
        _ count: Int,
        vendors: [VendorID],
        bootstrap: String,
        logger: Logger,
        sending: @Sendable (Int) -> Void
    ) async throws {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            let started = ContinuousClock.now
            for index in 0..<count {
                try await Task.sleep(until: started + .seconds(Double(index) / Double(rate)), clock: .continuous)
                sending(index)
                try await producer.send(
                    topic: "user-erasure",
                    key: Array("bench-\(index)".utf8),
                    value: Array(
                        (singleKindSubjects
                            ? BenchBacklog.requestJSON(index: index, vendors: vendors)
                            : Self.realisticRequestJSON(index: index, vendors: vendors)).utf8
                    )
                )
            }
            group.cancelAll()
        }
    }

    /// Each record's timestamp (milliseconds) by key, as kcat reads them: an independent client's view.
    private func timestamps(bootstrap: String, topic: String) async throws -> [String: Int64] {
        let kcat = try ChildProcess(
            "/usr/bin/kcat",
            ["-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%T\t%k\n"]
        )
        guard try await kcat.waitForExit(timeout: .seconds(120)) == 0 else {
            throw ValidationError("kcat could not read \(topic): \(kcat.standardError)")
        }
        var timestamps: [String: Int64] = [:]
        for line in kcat.standardOutput.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            if fields.count == 2, let timestamp = Int64(fields[0]) { timestamps[String(fields[1])] = timestamp }
        }
        return timestamps
    }

    private func report(latencies: [Double], vendorMilliseconds: Double, metrics: String, before: String) -> String {
        func percentile(_ fraction: Double) -> Int {
            Int(latencies[min(latencies.count - 1, Int((Double(latencies.count) * fraction).rounded(.up)) - 1)])
        }
        func meanMilliseconds(_ histogram: String, labels: String = "") -> Double {
            func gained(_ series: String) -> Double {
                (PrometheusText.value(of: series, in: metrics) ?? 0)
                    - (PrometheusText.value(of: series, in: before) ?? 0)
            }
            let count = gained("\(histogram)_count\(labels)")
            return count == 0 ? 0 : gained("\(histogram)_sum\(labels)") / count * 1000
        }
        let endToEnd = latencies.reduce(0, +) / Double(latencies.count)
        let calls =
            (try? BenchBacklog.vendors(vendors))?.map { vendor in
                (
                    vendor.rawValue,
                    meanMilliseconds(
                        "erasure_relay_vendor_call_duration_seconds",
                        labels: "{vendor=\"\(vendor.rawValue)\"}"
                    )
                )
            } ?? []
        let slowestCall = calls.map(\.1).max() ?? 0
        let laneWaits = calls.map { vendor, _ in
            (vendor, meanMilliseconds("erasure_relay_vendor_lane_wait_seconds", labels: "{vendor=\"\(vendor)\"}"))
        }
        let publish = meanMilliseconds("erasure_relay_outcome_publish_duration_seconds")
        func row(_ stage: String, _ milliseconds: Double) -> String {
            "| \(stage) | \(String(format: "%.1f", milliseconds)) |"
        }
        return """
            | \(rate) req/s for \(seconds) s, vendors \(vendors), \(singleKindSubjects ? "single-kind" : "common") \
            subjects, vendors answering in \(vendorLatencyMs) ms, fetch.wait.max.ms \(fetchWaitMs), linger_when_idle \(lingerWhenIdle) | p50 ms | p99 ms | max ms |
            |---|---|---|---|
            | request record → outcome record (\(latencies.count) requests) | \(percentile(0.5)) | \(percentile(0.99)) \
            | \(Int(latencies.last!)) |

            | stage (mean) | ms |
            |---|---|
            \(row("fetch: request record → read by the relay", endToEnd - vendorMilliseconds))
            \(row("decode and lane wait: read → the slowest vendor's call starts", vendorMilliseconds - slowestCall))
            \(laneWaits.map { row("lane wait: \($0.0), identifier queued → its call starts", $0.1) }.joined(separator: "\n"))
            \(calls.map { row("vendor call: \($0.0)", $0.1) }.joined(separator: "\n"))
            \(row("publish: outcome sent → acknowledged by the broker", publish))
            """
    }
}

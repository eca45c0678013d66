import ArgumentParser
import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging

/// `erasure-relay report` over a month of outcomes: time and peak memory, run as its own process.
struct ReportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Time and peak resident memory of `erasure-relay report` over signed outcomes on a dev-broker."
    )

    @Option(help: "Outcomes on the topic, redeliveries included.") var outcomes = 1_000_000
    @Option(help: "Partitions of the outcome topic (the embedded broker keeps about 5 MB each).") var partitions = 256
    @Option(help: "The share of outcomes that are a redelivery of an earlier request.") var redeliveries = 0.05
    @Option(help: "The erasure-relay executable; by default the one next to this benchmark.") var relay: String?

    static let signingKey = Secret("erasure-relay-bench-signing-key-0123456789")

    func run() async throws {
        let logger = BenchBacklog.logger
        let executable = relay ?? BenchRun.siblingExecutable("erasure-relay")
        let broker = try ChildProcess(
            executable,
            [
                "dev-broker", "--partitions", "\(partitions)", "--topics", "user-erasure-outcomes", "--log-level",
                "error",
            ]
        )
        defer { broker.signal() }
        let bootstrap = try await broker.firstLine()
        let produceStarted = ContinuousClock.now
        let requests = try await produce(bootstrap: bootstrap, logger: logger)
        let produceSeconds = (ContinuousClock.now - produceStarted) / .seconds(1)

        var environment = ProcessInfo.processInfo.environment
        environment["ERASURE_RELAY__PARKING__SIGNING_KEY"] = Self.signingKey.value
        let started = ContinuousClock.now
        let report = try ChildProcess(
            executable,
            ["report", "--bootstrap-servers", bootstrap, "--since", "1d", "--format", "json", "--log-level", "error"],
            environment: environment
        )
        let status = try await report.waitForExit(timeout: .seconds(3600))
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        guard status == 0,
            let object = try JSONSerialization.jsonObject(with: Data(report.standardOutput.utf8)) as? [String: Any],
            let total = object["total"] as? [String: Int]
        else {
            throw ValidationError("report exited \(status): \(report.standardError.suffix(2000))")
        }
        guard total["requests"] == requests, object["duplicate_outcomes"] as? Int == outcomes - requests else {
            throw ValidationError("report counted \(total), expected \(requests) requests")
        }
        // The report has been waited for, and the broker still runs: the largest child reaped so far is the report.
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let peakMegabytes = Double(usage.ru_maxrss) / 1024
        let cpuSeconds =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
        print(
            """
            | outcomes | requests | partitions | produce (s) | report (s) | report CPU (s) | outcomes/s | peak RSS (MB) |
            |---|---|---|---|---|---|---|---|
            | \(outcomes) | \(requests) | \(partitions) | \(String(format: "%.1f", produceSeconds)) \
            | \(String(format: "%.1f", seconds)) | \(String(format: "%.1f", cpuSeconds)) \
            | \(Int(Double(outcomes) / seconds)) | \(String(format: "%.0f", peakMegabytes)) |
            """
        )
    }

    /// Writes `outcomes` signed outcomes, as the relay would: two vendors each, one in a hundred failed, and
    /// `redeliveries` of them a second outcome of an earlier request. Returns the number of distinct requests.
    private func produce(bootstrap: String, logger: Logger) async throws -> Int {
        let producer = try KafkaProducer(
            configuration: .init(
                bootstrapServers: bootstrap,
                properties: ["linger.ms": "20", "batch.num.messages": "10000"]
            ),
            logger: logger
        )
        let signer = RecordSigner(keys: [Self.signingKey])
        let requests = outcomes - Int(Double(outcomes) * redeliveries)
        let now = Timestamp.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            for start in stride(from: 0, to: outcomes, by: 5000) {
                try await withThrowingTaskGroup(of: Void.self) { sends in
                    for index in start..<min(outcomes, start + 5000) {
                        let request = index < requests ? index : (index - requests) * 7 % requests
                        let outcome = Self.outcome(request: request, at: now)
                        let value = outcome.jsonBytes()
                        let headers = signer.signing(value: value, headers: [])
                        sends.addTask {
                            _ = try await producer.send(
                                topic: "user-erasure-outcomes",
                                key: Array(outcome.requestID!.utf8),
                                value: value,
                                headers: headers
                            )
                        }
                    }
                    try await sends.waitForAll()
                }
            }
            group.cancelAll()
        }
        return requests
    }

    private static func outcome(request: Int, at now: Timestamp) -> Outcome {
        let failed = request % 100 == 0
        let submitted = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - Int64(request % 86_400) * 1000)
        return Outcome(
            requestID: "bench-\(request)",
            requestDigest: String(format: "%064x", request),
            status: failed ? .failed : .completed,
            regulation: request % 3 == 0 ? .ccpa : .gdpr,
            submittedAt: submitted,
            receivedAt: submitted,
            completedAt: now,
            deadline: Timestamp(millisecondsSinceEpoch: submitted.millisecondsSinceEpoch + 30 * 86_400_000),
            vendors: [
                VendorResult(vendor: .braze, status: .accepted, attempts: 1, httpStatus: 201, identifiers: 2),
                VendorResult(
                    vendor: .engagelab,
                    status: failed ? .failed : .accepted,
                    attempts: failed ? 8 : 1,
                    httpStatus: failed ? 503 : 200,
                    identifiers: 1,
                    error: failed ? "HTTP 503: retries exhausted" : nil
                ),
            ],
            error: failed ? .init(code: "retries_exhausted", field: nil, message: "engagelab kept failing") : nil,
            source: .init(topic: "user-erasure", partition: Int32(request % 12), offset: Int64(request))
        )
    }
}

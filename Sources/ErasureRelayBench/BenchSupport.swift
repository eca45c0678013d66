import ArgumentParser
import ErasureRelay
import ErasureRelaySandboxBridge
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import VendorSandbox

enum BenchBacklog {
    /// Benchmarks log only warnings and errors, so that their tables stand out.
    static var logger: Logger {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        return logger
    }

    /// An embedded broker with erasure-relay's topics and `extraTopics`, `partitions` each.
    static func broker(partitions: Int, extraTopics: [String] = [], logger: Logger) throws -> EmbeddedBroker {
        let broker = try EmbeddedBroker(logger: logger)
        for topic in RelayConfiguration.Kafka().topics + extraTopics {
            try broker.createTopic(topic, partitions: partitions)
        }
        return broker
    }

    /// Parses a comma-separated vendor list.
    static func vendors(_ list: String) throws -> [VendorID] {
        try list.split(separator: ",").map { name in
            guard let vendor = VendorID(rawValue: String(name)) else { throw ValidationError("unknown vendor \(name)") }
            return vendor
        }
    }

    /// Request `bench-<index>`, with identifiers for `vendors`.
    static func requestJSON(index: Int, vendors: [VendorID]) -> String {
        let vendorList = vendors.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
        return """
            {"request_id":"bench-\(index)","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z",\
            "subject":{"external_id":"user-\(index)","moengage_id":"moe-\(index)",\
            "email":"user\(index)@example.com","engagelab_registration_ids":["reg-\(index)"]},\
            "vendors":[\(vendorList)]}
            """
    }

    /// Produces `count` valid requests, each with identifiers for `vendors`, keyed so they spread over partitions.
    static func produce(
        _ count: Int,
        to topic: String,
        broker: String,
        vendors: [VendorID],
        logger: Logger
    ) async throws {
        let producer = try KafkaProducer(
            configuration: .init(
                bootstrapServers: broker,
                properties: ["linger.ms": "20", "batch.num.messages": "5000"]
            ),
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            for start in stride(from: 0, to: count, by: 2000) {
                try await withThrowingTaskGroup(of: Void.self) { sends in
                    for index in start..<min(count, start + 2000) {
                        sends.addTask {
                            try await producer.send(
                                topic: topic,
                                key: Array("bench-\(index)".utf8),
                                value: Array(requestJSON(index: index, vendors: vendors).utf8)
                            )
                        }
                    }
                    try await sends.waitForAll()
                }
            }
            group.cancelAll()
        }
    }
}

enum BenchRun {
    /// The path of `name` in the directory this benchmark's executable is in, where SwiftPM builds its siblings.
    static func siblingExecutable(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// VmHWM: the most resident memory process `pid` has used.
    static func peakResidentBytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
        return kilobytes.map { $0 * 1024 }
    }

    /// Runs the relay in-process against `sandbox` until `expecting` outcomes (or for `duration`); returns seconds.
    static func relay(
        sandbox: VendorSandbox,
        bootstrap: String,
        expecting: Int?,
        for duration: Duration? = nil,
        pipeline: RelayConfiguration.Pipeline = .init(),
        parking: RelayConfiguration.Parking = .init(),
        kafkaProperties: [String: String] = [:],
        consumerProperties: [String: String] = [:],
        outcomes: OutcomeCounter = OutcomeCounter(),
        logger: Logger,
        adjust: @escaping @Sendable (inout VendorSettings) -> Void
    ) async throws -> Double {
        let group = ServiceGroup(services: [sandbox], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var configuration = RelayConfiguration()
            configuration.kafka.groupID = "bench-\(UUID().uuidString)"
            configuration.pipeline = pipeline
            configuration.parking = parking
            configuration.parking.signingKeys = [Secret("erasure-relay-bench-signing-key-0123456789")]
            configuration.kafka.properties = kafkaProperties
            configuration.kafka.consumerProperties = consumerProperties
            configuration.vendors = try await sandbox.relayVendorSettings().mapValues { settings in
                var settings = settings
                adjust(&settings)
                return settings
            }
            let relay = RelayApplication(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                observer: { outcome in
                    outcomes.increment()
                    outcomes.addVendorTime(
                        outcome.completedAt.millisecondsSinceEpoch - outcome.receivedAt.millisecondsSinceEpoch,
                        requestID: outcome.requestID
                    )
                }
            )
            let relayGroup = ServiceGroup(services: [relay], gracefulShutdownSignals: [], logger: logger)
            tasks.addTask { try await relayGroup.run() }
            let started = ContinuousClock.now
            if let expecting {
                await outcomes.wait(for: expecting)
            } else if let duration {
                try await Task.sleep(for: duration)
            }
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            if ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil {
                print("mean ms from read to vendors done: \(outcomes.meanVendorMilliseconds())")
            }
            await relayGroup.triggerGracefulShutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return elapsed
        }
    }

    /// Reads the outcome topic until `expecting` outcomes arrived, or until `producing` turns false; returns how many.
    static func countOutcomes(
        bootstrap: String,
        expecting: Int,
        logger: Logger,
        while producing: () -> Bool = { true }
    ) async throws -> Int {
        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap),
            groupID: "bench-outcome-counter-\(UUID().uuidString)",
            logger: logger
        )
        try consumer.subscribe(topics: ["user-erasure-outcomes"])
        var seen = 0
        while seen < expecting, producing() {
            for event in await consumer.poll(timeout: .milliseconds(200)) {
                if case .message = event { seen += 1 }
            }
        }
        await consumer.close()
        return seen
    }
}

final class OutcomeCounter: Sendable {
    private let state = Mutex<
        (
            count: Int, waiting: [(Int, CheckedContinuation<Void, Never>)],
            span: (first: ContinuousClock.Instant, last: ContinuousClock.Instant)?
        )
    >((0, [], nil))

    /// Outcomes per second from the first to the last: the rate once the relay has joined its group, which on the
    /// embedded broker takes about 3 seconds, whatever the backlog.
    var steadyRate: Double? {
        let (count, span) = state.withLock { ($0.count, $0.span.map { $0.last - $0.first }) }
        guard count > 1, let span, span > .zero else { return nil }
        return Double(count - 1) / (span / .seconds(1))
    }
    /// From read to every vendor done, by request id.
    private let vendorMilliseconds = Mutex<[String: Int64]>([:])

    func addVendorTime(_ milliseconds: Int64, requestID: String?) {
        vendorMilliseconds.withLock { $0[requestID ?? "?"] = milliseconds }
    }

    /// The mean time from read to every vendor done, over `requests` or every request.
    func meanVendorMilliseconds(of requests: Set<String>? = nil) -> Double {
        let times = vendorMilliseconds.withLock { times in
            requests.map { wanted in times.filter { wanted.contains($0.key) }.map(\.value) } ?? Array(times.values)
        }
        return times.isEmpty ? 0 : Double(times.reduce(0, +)) / Double(times.count)
    }

    func increment() {
        let now = ContinuousClock.now
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count += 1
            state.span = (state.span?.first ?? now, now)
            let count = state.count
            let ready = state.waiting.filter { $0.0 <= count }.map(\.1)
            state.waiting.removeAll { $0.0 <= count }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    func wait(for count: Int) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.count >= count { return true }
                state.waiting.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }
}

extension SandboxConfiguration {
    /// Quotas out of the way, so that a benchmark measures the pipeline rather than the limiter.
    static var unmetered: SandboxConfiguration {
        var configuration = SandboxConfiguration()
        for vendor in SandboxVendor.allCases {
            configuration.quotas[vendor] = .init(requests: 10_000_000, windowSeconds: 1)
        }
        return configuration
    }
}

import ErasureRelay
import ErasureRelaySandboxBridge
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import VendorSandbox

/// Outcomes as the relay publishes them, awaitable by count.
public final class OutcomeCollector: Sendable {
    private let outcomes = Watched<[Outcome]>([])

    public init() {}

    public func record(_ outcome: Outcome) {
        outcomes.update { $0.append(outcome) }
    }

    public var all: [Outcome] { outcomes.value }

    /// Waits until at least `count` outcomes were published.
    public func wait(for count: Int, timeout: Duration = .seconds(90)) async throws -> [Outcome] {
        try await outcomes.wait(timeout: timeout) { $0.count >= count }
    }
}

/// Runs a ``RelayApplication`` reporting to `collector` for the length of `body`.
public func withRelay<Result: Sendable>(
    configuration: RelayConfiguration,
    bootstrapServers: String,
    metrics: RelayMetrics = RelayMetrics(),
    logger: Logger,
    collector: OutcomeCollector,
    _ body: () async throws -> Result
) async throws -> Result {
    try await withRelay(
        configuration: configuration,
        bootstrapServers: bootstrapServers,
        metrics: metrics,
        logger: logger,
        observer: { collector.record($0) },
        body
    )
}

/// Runs a ``RelayApplication`` in a service group for the length of `body`, then shuts it down gracefully.
public func withRelay<Result: Sendable>(
    configuration: RelayConfiguration,
    bootstrapServers: String,
    metrics: RelayMetrics = RelayMetrics(),
    logger: Logger,
    observer: @escaping @Sendable (Outcome) -> Void,
    _ body: () async throws -> Result
) async throws -> Result {
    let relay = RelayApplication(
        configuration: configuration,
        bootstrapServers: bootstrapServers,
        metrics: metrics,
        logger: logger,
        observer: observer
    )
    let group = ServiceGroup(services: [relay], gracefulShutdownSignals: [], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            try TestLogs.checkNoLeaks()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
    }
}

/// The signing key of every relay the tests start, so that replicas and replays trust each other's parked work.
public let testSigningKeys = [Secret("erasure-relay-test-signing-key-0123456789abcdef")]

/// Signs and checks records as the tests' relays do.
public let testSigner = RecordSigner(keys: testSigningKeys)

/// Settings that make a Kafka consumer group settle quickly in tests.
public let fastGroupProperties = [
    "session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "auto.commit.interval.ms": "200",
]

/// A request as upstream systems publish it.
public func requestJSON(
    id: String,
    regulation: String = "gdpr",
    subject: [String: Any],
    vendors: [String]? = nil
) -> String {
    var object: [String: Any] = [
        "request_id": id, "regulation": regulation, "submitted_at": "2026-11-22T10:00:00Z", "subject": subject,
    ]
    if let vendors { object["vendors"] = vendors }
    TestLogs.watch(
        subject.values.flatMap { value -> [String] in
            if let text = value as? String { return [text] }
            // `custom` holds identifiers by name.
            if let named = value as? [String: String] { return Array(named.values) }
            return value as? [String] ?? []
        }
    )
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// The path of the `erasure-relay` executable built next to the tests.
public func erasureRelayExecutable(file: String = #filePath) -> String {
    let root = packageRoot(file: file)
    let candidates = [".build/debug/erasure-relay", ".build/release/erasure-relay"]
        .map { root.appendingPathComponent($0).path }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
}

/// The package's root folder, for reading files the tests keep in the repository.
public func packageRoot(file: String = #filePath) -> URL {
    var url = URL(fileURLWithPath: file)
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        url.deleteLastPathComponent()
    }
    return url
}

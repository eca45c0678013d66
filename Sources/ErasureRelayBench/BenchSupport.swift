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

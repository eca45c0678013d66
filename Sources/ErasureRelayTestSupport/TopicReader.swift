import Foundation
import Kafka
import Logging

/// Reads a topic from its start, with headers, outside any consumer group: for checking what erasure-relay wrote
/// to its retry and dead-letter topics.
public enum TopicReader {
    /// Waits until `topic` holds at least `count` messages and returns the first `count`, in partition then offset
    /// order, or throws after `timeout`.
    public static func read(
        bootstrap: String,
        topic: String,
        count: Int,
        timeout: Duration = .seconds(60),
        logger: Logger
    ) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap, properties: ["enable.auto.commit": "false"]),
            groupID: "topic-reader-\(UUID().uuidString)",
            logger: logger
        )
        let partitions = try await consumer.partitionCount(topic: topic)
        try consumer.assign(
            Dictionary(
                uniqueKeysWithValues: (0..<partitions).map {
                    (TopicPartition(topic: topic, partition: Int32($0)), Int64(0))
                }
            )
        )
        var messages: [KafkaMessage] = []
        let deadline = ContinuousClock.now + timeout
        while messages.count < count && ContinuousClock.now < deadline {
            for case .message(let message) in await consumer.poll(timeout: .milliseconds(200), maxEvents: 100) {
                messages.append(message)
            }
        }
        await consumer.close()
        guard messages.count >= count else {
            throw ChildProcessError("\(topic) held \(messages.count) messages, not \(count), after \(timeout)")
        }
        return Array(messages.sorted { ($0.topicPartition, $0.offset) < ($1.topicPartition, $1.offset) }.prefix(count))
    }
}

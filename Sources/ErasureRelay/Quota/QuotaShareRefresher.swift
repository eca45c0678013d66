import Kafka
import Logging

/// Recomputes this replica's share of every vendor quota from its assignment, reading the partition counts again so
/// that partitions added elsewhere lower the share.
struct QuotaShareRefresher: Sendable {
    let consumer: KafkaConsumer
    let tracker: PartitionShareTracker
    /// The topics the relay writes before it reads them (the retry topic, the jobs topic), by what a missing one is
    /// called in the error that says to create it.
    let ownTopics: [String: String]
    let logger: Logger

    /// The share in force.
    var share: Double { tracker.share.value }

    func refresh() async {
        let assignment = consumer.assignment.map { ($0.topic, $0.partition) }
        for attempt in 1...5 {
            do {
                try await tracker.assigned(assignment) { topic in
                    do {
                        return try await consumer.partitionCount(topic: topic)
                    } catch let error where ownTopics[topic] != nil {
                        // Requests still flow; only work that must be written there (for a vendor that stays down,
                        // or a job to follow) waits, unstored, until the topic exists.
                        logger.error(
                            "The \(ownTopics[topic]!) is not available; create it with the request topic's partition count",
                            metadata: [LoggingKeys.topic: "\(topic)", LoggingKeys.error: "\(error)"]
                        )
                        throw error
                    }
                }
                return
            } catch {
                logger.warning(
                    "Partition count unavailable; quota share not updated",
                    metadata: [LoggingKeys.error: "\(error)", "attempt": "\(attempt)"]
                )
            }
        }
    }
}

import Kafka
import Logging
import Synchronization

/// Hands finished offsets to the consumer, for its next commit, in order per partition.
///
/// Requests finish on many tasks, so their stores are applied under one lock: an earlier offset applied after a
/// later one would move the commit back.
final class OffsetStore: Sendable {
    private let consumer: KafkaConsumer
    private let commits: CommitLatencyTracker?
    private let logger: Logger
    /// The offset last stored per partition.
    private let stored = Mutex<[TopicPartition: Int64]>([:])

    init(consumer: KafkaConsumer, commits: CommitLatencyTracker?, logger: Logger) {
        self.consumer = consumer
        self.commits = commits
        self.logger = logger
    }

    /// Stores `offset` (the next offset to read) unless a later one of `partition` is stored already.
    func store(_ partition: TopicPartition, _ offset: Int64) {
        stored.withLock { stored in
            guard offset > stored[partition] ?? .min else { return }
            do {
                try consumer.storeOffsets([partition: offset])
                stored[partition] = offset
                commits?.stored(partition, offset: offset)
            } catch {
                // The partition was revoked meanwhile; its new owner reads the message again.
                logger.debug("Offset not stored", metadata: [LoggingKeys.error: "\(error)"])
            }
        }
    }

    /// A new assignment starts again from the committed offset, which may be below what was stored before.
    func forget(_ partitions: [TopicPartition]) {
        stored.withLock { stored in for partition in partitions { stored[partition] = nil } }
    }
}

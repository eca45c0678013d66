/// What a poll of the consumer produced.
public enum KafkaConsumerEvent: Sendable {
    /// A message to process. Its offset is committed only once it is passed to ``KafkaConsumer/storeOffsets(_:)``.
    case message(KafkaMessage)
    /// Partitions added to this member's assignment. They start from their committed offsets.
    case assigned([TopicPartition])
    /// Partitions taken away. When `lost` is true other members may already own them, so their work must be
    /// dropped; otherwise offsets stored before this event have been committed.
    case revoked([TopicPartition], lost: Bool)
    /// An error the client reported. Fatal errors leave the consumer unusable.
    case error(KafkaError)
}

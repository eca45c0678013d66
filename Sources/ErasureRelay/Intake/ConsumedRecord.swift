import Kafka

/// A message as the pipeline carries it from the consumer to its handler: read once, and for a retry-topic record,
/// verified once.
public struct ConsumedRecord: Sendable {
    public let message: KafkaMessage
    /// For a record of the retry topic, the verified record or why it is not trusted; nil for any other topic.
    public let retry: Result<RetryRecord, RequestRejection>?

    /// - Parameters:
    ///   - message: the message, as the consumer returned it.
    ///   - retry: for a retry-topic record, what verifying it found.
    public init(_ message: KafkaMessage, retry: Result<RetryRecord, RequestRejection>? = nil) {
        self.message = message
        self.retry = retry
    }
}

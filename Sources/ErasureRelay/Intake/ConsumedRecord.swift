import Kafka

/// A message as the pipeline carries it from the consumer to its handler: read once, and for a retry-topic or
/// jobs-topic record, verified once.
public struct ConsumedRecord: Sendable {
    public let message: KafkaMessage
    /// For a record of the retry topic, the verified record or why it is not trusted; nil for any other topic.
    public let retry: Result<RetryRecord, RequestRejection>?
    /// For a record of the jobs topic, the verified follow-up or why it is not trusted; nil for any other topic.
    public let job: Result<JobFollowUp, RequestRejection>?
    /// For a verified jobs-topic record whose follow-up an earlier record of its partition already continues (see
    /// ``JobFollowUp/lineage``), that record's offset: this one is skipped. Nil for any other record.
    public let continuedAt: Int64?

    /// - Parameters:
    ///   - message: the message, as the consumer returned it.
    ///   - retry: for a retry-topic record, what verifying it found.
    ///   - job: for a jobs-topic record, what verifying it found.
    ///   - continuedAt: for a verified jobs-topic record, the offset of an earlier record that continues the same
    ///     follow-up.
    public init(
        _ message: KafkaMessage,
        retry: Result<RetryRecord, RequestRejection>? = nil,
        job: Result<JobFollowUp, RequestRejection>? = nil,
        continuedAt: Int64? = nil
    ) {
        self.message = message
        self.retry = retry
        self.job = job
        self.continuedAt = continuedAt
    }
}

import Logging

/// What librdkafka's callbacks reach through the client's opaque pointer. Each client kind overrides what it serves;
/// every callback runs on librdkafka's threads and must be quick.
class ClientContext: @unchecked Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Called for errors librdkafka reports outside any single call.
    func report(_ error: KafkaError) {}

    /// librdkafka's statistics JSON, every `statistics.interval.ms`.
    func statistics(_ json: String) {}

    /// An offset commit finished: whether it succeeded, and the offsets the broker now holds.
    func offsetsCommitted(succeeded: Bool, offsets: [TopicPartition: Int64]) {}

    /// The group changed this member's assignment; the context must apply `rebalance` before returning.
    func rebalance(_ rebalance: RDKafkaRebalance) {}

    /// The broker acknowledged, or finally refused, the message sent with `token`.
    func delivered(token: UInt64, result: Result<DeliveryReport, KafkaError>) {}
}

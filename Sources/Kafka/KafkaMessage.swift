/// A message read from a topic, copied out of librdkafka's memory.
public struct KafkaMessage: Sendable {
    /// Where the message was read.
    public let topicPartition: TopicPartition
    /// The message's offset in its partition.
    public let offset: Int64
    /// The key, if any.
    public let key: [UInt8]?
    /// The value; empty for a message without one.
    public let value: [UInt8]
    /// The headers in the order the producer added them.
    public let headers: [KafkaHeader]
    /// The record's timestamp, in milliseconds since 1970 (its creation or its append, as the topic keeps it); nil
    /// when the record has none.
    public let timestamp: Int64?

    public init(
        topicPartition: TopicPartition,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader],
        timestamp: Int64? = nil
    ) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// The value of the last header called `name`, as text.
    public func header(_ name: String) -> String? {
        headers.last { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
    }
}

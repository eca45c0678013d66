/// One partition of one topic.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The topic name.
    public let topic: String
    /// The partition number.
    public let partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

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

/// A message header.
public struct KafkaHeader: Sendable, Hashable {
    public let name: String
    public let value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public init(name: String, value: String) {
        self.init(name: name, value: Array(value.utf8))
    }
}

/// Where the broker stored a produced message.
public struct DeliveryReport: Sendable, Hashable {
    public let topicPartition: TopicPartition
    public let offset: Int64
}

/// Where the broker stored a produced message.
public struct DeliveryReport: Sendable, Hashable {
    public let topicPartition: TopicPartition
    public let offset: Int64
}

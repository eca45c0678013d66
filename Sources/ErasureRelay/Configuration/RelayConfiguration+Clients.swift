import Kafka

/// The librdkafka settings of a producer and a consumer of the same brokers.
public struct KafkaClients: Sendable {
    public var producer: KafkaClientConfiguration
    public var consumer: KafkaClientConfiguration
}

extension RelayConfiguration.Kafka {
    /// How the service, `replay` and `report` connect to `bootstrapServers`: the producer with `kafka.properties`,
    /// the consumer with `kafka.consumer_properties` over them.
    public func clients(bootstrapServers: String) -> KafkaClients {
        let producer = KafkaClientConfiguration(bootstrapServers: bootstrapServers, properties: properties)
        var consumer = producer
        consumer.properties.merge(consumerProperties) { _, consumerOnly in consumerOnly }
        return KafkaClients(producer: producer, consumer: consumer)
    }
}

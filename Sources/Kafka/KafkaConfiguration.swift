/// librdkafka properties for a client, passed to `rd_kafka_conf_set` unchanged.
///
/// The consumer and producer add the settings erasure-relay depends on (see ``KafkaConsumer`` and
/// ``KafkaProducer``); anything set here beside those, such as `security.protocol`, `sasl.*` or `ssl.*`,
/// reaches librdkafka as written.
public struct KafkaClientConfiguration: Sendable {
    /// The `bootstrap.servers` list.
    public var bootstrapServers: String
    /// Extra librdkafka properties. Keys the client sets itself can be overridden here, except the ones
    /// erasure-relay's delivery guarantees rest on, which are listed by ``KafkaConsumer/requiredProperties`` and
    /// ``KafkaProducer/requiredProperties``.
    public var properties: [String: String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
    }

    func merged(defaults: [String: String], required: [String: String]) -> [String: String] {
        var merged = defaults
        merged["bootstrap.servers"] = bootstrapServers
        merged.merge(properties) { _, configured in configured }
        merged.merge(required) { _, required in required }
        return merged
    }
}

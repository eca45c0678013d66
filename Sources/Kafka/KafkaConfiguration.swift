/// librdkafka properties for a client, passed to librdkafka unchanged.
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

    /// librdkafka properties known to carry a credential.
    static let secretProperties: Set = [
        "sasl.password", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret", "ssl.key.password",
        "ssl.keystore.password", "ssl.key.pem", "ssl.certificate.pem", "sasl.jaas.config",
        "sasl.oauthbearer.extensions", "sasl.kerberos.kinit.cmd",
    ]

    /// Whether a property's value must never be shown: the known credential-bearing properties, and any whose name
    /// holds `password`, `secret`, `.pem`, `key`, `token`, `jaas`, `extensions` or `kinit`, or ends in `.config`
    /// (which masks a few harmless ones, such as `ssl.key.location`, rather than miss a credential).
    public static func isSecretProperty(_ name: String) -> Bool {
        let name = name.lowercased()
        return secretProperties.contains(name) || name.hasSuffix(".config")
            || ["password", "secret", ".pem", "key", "token", "jaas", "extensions", "kinit"].contains {
                name.contains($0)
            }
    }

    func merged(defaults: [String: String], required: [String: String]) -> [String: String] {
        var merged = defaults
        merged["bootstrap.servers"] = bootstrapServers
        merged.merge(properties) { _, configured in configured }
        merged.merge(required) { _, required in required }
        return merged
    }
}

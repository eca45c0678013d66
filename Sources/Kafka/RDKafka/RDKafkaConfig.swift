import CRDKafka

/// Builds an `rd_kafka_conf_t`, turning each rejected property into a ``KafkaError`` that names it.
enum RDKafkaConfig {
    /// - Returns: a configuration the caller owns until it passes it to `rd_kafka_new`.
    static func make(properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .configuration, message: "rd_kafka_conf_new failed")
        }
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            var errorText = [CChar](repeating: 0, count: 512)
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                var reason = String(errorBuffer: errorText)
                if KafkaClientConfiguration.isSecretProperty(key), !value.isEmpty {
                    // librdkafka quotes the value it refused.
                    reason = reason.replacing(value, with: "********")
                }
                throw KafkaError(code: .configuration, message: "property '\(key)': \(reason)")
            }
        }
        return conf
    }

    /// Calls `rd_kafka_new`, which takes ownership of `conf` only when it succeeds.
    static func newClient(type: rd_kafka_type_t, conf: OpaquePointer) throws(KafkaError) -> OpaquePointer {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let client = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            let reason = String(errorBuffer: errorText)
            throw KafkaError(code: .configuration, message: "rd_kafka_new: \(reason)")
        }
        return client
    }
}

extension String {
    /// Reads a C string librdkafka wrote into `buffer`.
    init(errorBuffer buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

import CRDKafka

extension RDKafkaClient {
    /// The configuration of `topic` as the cluster describes it (DescribeConfigs): every entry with a value,
    /// defaults included.
    func topicConfiguration(topic: String, milliseconds: Int32) throws(KafkaError) -> [String: String] {
        guard let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic) else {
            throw KafkaError(code: .client, message: "cannot describe topic \(topic)")
        }
        defer { rd_kafka_ConfigResource_destroy(resource) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errorText = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, milliseconds, &errorText, errorText.count)
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        var resources: [OpaquePointer?] = [resource]
        rd_kafka_DescribeConfigs(handle, &resources, 1, options, queue)
        // The request times out on its own after `milliseconds`; the margin lets its own answer arrive first.
        guard let event = rd_kafka_queue_poll(queue, milliseconds + 1000) else {
            throw KafkaError(code: .client, message: "describing topic \(topic) timed out", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        guard eventError == RD_KAFKA_RESP_ERR_NO_ERROR, let result = rd_kafka_event_DescribeConfigs_result(event) else {
            throw KafkaError(code: .client, responseError: eventError, context: "describing topic \(topic)")
        }
        var count = 0
        guard let described = rd_kafka_DescribeConfigs_result_resources(result, &count), count == 1,
            let first = described[0]
        else {
            throw KafkaError(code: .client, message: "the cluster did not describe topic \(topic)")
        }
        let resourceError = rd_kafka_ConfigResource_error(first)
        guard resourceError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(code: .client, responseError: resourceError, context: "describing topic \(topic)")
        }
        var entryCount = 0
        guard let entries = rd_kafka_ConfigResource_configs(first, &entryCount) else { return [:] }
        var configuration: [String: String] = [:]
        for index in 0..<entryCount {
            guard let entry = entries[index], let name = rd_kafka_ConfigEntry_name(entry),
                let value = rd_kafka_ConfigEntry_value(entry)
            else { continue }
            configuration[String(cString: name)] = String(cString: value)
        }
        return configuration
    }
}

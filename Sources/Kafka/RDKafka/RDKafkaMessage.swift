import CRDKafka

/// Copies consumed messages out of librdkafka's memory.
enum RDKafkaMessage {
    /// Converts and destroys `message`.
    static func event(consuming message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerEvent {
        defer { rd_kafka_message_destroy(message) }
        let fields = message.pointee
        if fields.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return .error(KafkaError(code: .client, responseError: fields.err, context: "consume"))
        }
        let topic = fields.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let value = fields.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.len)) } ?? []
        let key = fields.key.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.key_len)) }
        let timestamp = rd_kafka_message_timestamp(message, nil)
        return .message(
            KafkaMessage(
                topicPartition: TopicPartition(topic: topic, partition: fields.partition),
                offset: fields.offset,
                key: key,
                value: value,
                headers: headers(of: message),
                timestamp: timestamp >= 0 ? timestamp : nil
            )
        )
    }

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var headerList: OpaquePointer?
        guard rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList else {
            return []
        }
        var headers: [KafkaHeader] = []
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(headerList, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes))
            index += 1
        }
        return headers
    }
}

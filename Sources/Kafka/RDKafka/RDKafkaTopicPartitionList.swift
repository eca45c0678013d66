import CRDKafka

/// Conversions between `rd_kafka_topic_partition_list_t` and Swift values.
enum RDKafkaTopicPartitionList {
    static func partitions(of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartition] {
        let buffer = UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
        return buffer.map { TopicPartition(topic: String(cString: $0.topic), partition: $0.partition) }
    }

    /// The offset of each element; with `committedOnly`, only elements without an error and with a real offset.
    static func offsets(
        of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>,
        committedOnly: Bool = false
    ) -> [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        for element in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
        where !committedOnly || (element.err == RD_KAFKA_RESP_ERR_NO_ERROR && element.offset >= 0) {
            offsets[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] =
                element.offset
        }
        return offsets
    }

    /// Whether any element carries an error of its own.
    static func hasError(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Bool {
        UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)).contains {
            $0.err != RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Runs `body` with a list it destroys afterwards, as librdkafka's pitfall list asks of every list it is given.
    static func withList<Result>(
        _ partitions: some Collection<TopicPartition>,
        offsets: [TopicPartition: Int64] = [:],
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws(KafkaError) -> Result
    ) throws(KafkaError) -> Result {
        guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else {
            throw KafkaError(code: .client, message: "rd_kafka_topic_partition_list_new failed")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in partitions {
            let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)
            if let offset = offsets[partition] { element?.pointee.offset = offset }
        }
        return try body(list)
    }
}

extension KafkaConsumer {
    /// The committed offsets of `partitions`, as the group coordinator has them.
    public func committedOffsets(
        for partitions: [TopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartition: Int64] {
        let milliseconds = timeout.clampedMilliseconds
        return try await blocking { client throws(KafkaError) in
            try client.committedOffsets(for: partitions, milliseconds: milliseconds)
        }
    }

    /// The offset after the last message of each of `partitions`, as the partition leaders report it now.
    public func endOffsets(
        for partitions: [TopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartition: Int64] {
        try await watermarks(for: partitions, timeout: timeout).mapValues(\.high)
    }

    /// The first offset still in the log (`low`) and the offset after the last message (`high`) of each of
    /// `partitions`, as the partition leaders report them now.
    public func watermarks(
        for partitions: [TopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartition: (low: Int64, high: Int64)] {
        let milliseconds = timeout.clampedMilliseconds
        return try await blocking { client throws(KafkaError) in
            var offsets: [TopicPartition: (low: Int64, high: Int64)] = [:]
            for partition in partitions {
                offsets[partition] = try client.watermarks(of: partition, milliseconds: milliseconds)
            }
            return offsets
        }
    }

    /// The first offset of each of `partitions` whose record was written at or after `timestamp` (milliseconds since
    /// 1970), or -1 (the end) where none was. A broker that cannot look offsets up by time answers -1 too.
    public func offsets(
        atOrAfter timestamp: Int64,
        of partitions: [TopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartition: Int64] {
        let milliseconds = timeout.clampedMilliseconds
        return try await blocking { client throws(KafkaError) in
            try client.offsets(atOrAfter: timestamp, of: partitions, milliseconds: milliseconds)
        }
    }

    /// The number of partitions of `topic`, from the cluster's metadata.
    public func partitionCount(topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> Int {
        let milliseconds = timeout.clampedMilliseconds
        return try await blocking { client throws(KafkaError) in
            try client.partitionCount(topic: topic, milliseconds: milliseconds)
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds, as librdkafka's timeouts take it.
    var clampedMilliseconds: Int32 {
        Int32(clamping: components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}

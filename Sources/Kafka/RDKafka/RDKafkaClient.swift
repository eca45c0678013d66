import CRDKafka
import Logging
import Synchronization

/// The one owner of an `rd_kafka_t`. ``KafkaConsumer``, ``KafkaProducer`` and ``EmbeddedBroker`` reach librdkafka only
/// through it, so that every C call, pointer and ownership rule lives in this folder.
///
/// Its calls are synchronous and may block; the clients run the blocking ones on their own thread.
// librdkafka's client calls are thread-safe; the only Swift state, whether the handle is destroyed, is behind a Mutex.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case consumer
        case producer
    }

    /// The callbacks a client asks for, beyond logs and errors, which every client gets.
    struct Callbacks: OptionSet {
        let rawValue: Int
        static let statistics = Callbacks(rawValue: 1 << 0)
        static let offsetCommits = Callbacks(rawValue: 1 << 1)
        static let rebalances = Callbacks(rawValue: 1 << 2)
        static let deliveryReports = Callbacks(rawValue: 1 << 3)
    }

    let handle: OpaquePointer
    private let context: Unmanaged<ClientContext>
    private let destroyed = Mutex(false)

    /// Creates a client whose callbacks reach `context`, which it keeps alive until ``destroy()``.
    /// - Throws: ``KafkaError`` with code `configuration` naming a property librdkafka rejected.
    init(
        kind: Kind,
        properties: [String: String],
        context: ClientContext,
        callbacks: Callbacks = []
    ) throws(KafkaError) {
        let conf = try RDKafkaConfig.make(properties: properties)
        let retained = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, retained.toOpaque())
        Self.install(callbacks, on: conf)
        do {
            self.handle = try RDKafkaConfig.newClient(
                type: kind == .consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER,
                conf: conf
            )
        } catch {
            retained.release()
            throw error
        }
        self.context = retained
        if kind == .consumer {
            // Logs, errors and rebalances then all come out of rd_kafka_consumer_poll, on the polling thread.
            rd_kafka_poll_set_consumer(handle)
        }
    }

    /// Destroys the handle and lets go of the context. Calling it again does nothing.
    func destroy() {
        let alreadyDestroyed = destroyed.withLock { destroyed in
            defer { destroyed = true }
            return destroyed
        }
        guard !alreadyDestroyed else { return }
        rd_kafka_destroy(handle)
        context.release()
    }

    // MARK: Consumer

    func subscribe(topics: [String]) throws(KafkaError) {
        let partitions = topics.map { TopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) }
        try RDKafkaTopicPartitionList.withList(partitions) { list throws(KafkaError) in
            let result = rd_kafka_subscribe(handle, list)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .client, responseError: result, context: "subscribe to \(topics)")
            }
        }
    }

    /// Waits up to `milliseconds` for a message or a consume error; callbacks due meanwhile run first.
    func consumerPoll(milliseconds: Int32) -> KafkaConsumerEvent? {
        rd_kafka_consumer_poll(handle, milliseconds).map(RDKafkaMessage.event(consuming:))
    }

    func storeOffsets(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        try RDKafkaTopicPartitionList.withList(offsets.keys, offsets: offsets) { list throws(KafkaError) in
            let result = rd_kafka_offsets_store(handle, list)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .offsetStore, responseError: result, context: "store offsets")
            }
        }
    }

    /// Commits the stored offsets and waits for the broker. Nothing stored since the last commit is not a failure.
    func commitStoredOffsets() throws(KafkaError) {
        let result = rd_kafka_commit(handle, nil, 0)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError(code: .client, responseError: result, context: "commit")
        }
    }

    func committedOffsets(
        for partitions: [TopicPartition],
        milliseconds: Int32
    ) throws(KafkaError) -> [TopicPartition: Int64] {
        try RDKafkaTopicPartitionList.withList(partitions) { list throws(KafkaError) in
            let result = rd_kafka_committed(handle, list, milliseconds)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .client, responseError: result, context: "committed offsets")
            }
            return RDKafkaTopicPartitionList.offsets(of: list)
        }
    }

    /// The first offset of each of `partitions` whose record's timestamp is at or after `timestamp` (milliseconds
    /// since 1970); the end offset where no record is that recent.
    func offsets(
        atOrAfter timestamp: Int64,
        of partitions: [TopicPartition],
        milliseconds: Int32
    ) throws(KafkaError) -> [TopicPartition: Int64] {
        let query = Dictionary(uniqueKeysWithValues: partitions.map { ($0, timestamp) })
        return try RDKafkaTopicPartitionList.withList(partitions, offsets: query) { list throws(KafkaError) in
            let result = rd_kafka_offsets_for_times(handle, list, milliseconds)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .client, responseError: result, context: "offsets for a time")
            }
            return RDKafkaTopicPartitionList.offsets(of: list)
        }
    }

    func watermarks(of partition: TopicPartition, milliseconds: Int32) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(
            handle,
            partition.topic,
            partition.partition,
            &low,
            &high,
            milliseconds
        )
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(code: .client, responseError: error, context: "watermarks of \(partition)")
        }
        return (low, high)
    }

    func assign(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        try RDKafkaTopicPartitionList.withList(offsets.keys, offsets: offsets) { list throws(KafkaError) in
            let result = rd_kafka_assign(handle, list)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .client, responseError: result, context: "assign")
            }
        }
    }

    func setPaused(_ pause: Bool, _ partitions: Set<TopicPartition>) throws(KafkaError) {
        try RDKafkaTopicPartitionList.withList(partitions) { list throws(KafkaError) in
            let result = pause ? rd_kafka_pause_partitions(handle, list) : rd_kafka_resume_partitions(handle, list)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .client, responseError: result, context: pause ? "pause" : "resume")
            }
        }
    }

    func partitionCount(topic: String, milliseconds: Int32) throws(KafkaError) -> Int {
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            throw KafkaError(code: .client, message: "cannot open topic \(topic)")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 0, topicHandle, &metadata, milliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(code: .client, responseError: error, context: "metadata for \(topic)")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        guard let entry = topics.first(where: { String(cString: $0.topic) == topic }),
            entry.err == RD_KAFKA_RESP_ERR_NO_ERROR
        else {
            throw KafkaError(code: .client, message: "topic \(topic) not found in metadata", isRetriable: true)
        }
        return Int(entry.partition_cnt)
    }

    /// Leaves the group: runs the final revoke and commits what was stored. The handle must still be destroyed.
    func closeConsumer() throws(KafkaError) {
        let result = rd_kafka_consumer_close(handle)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: .client, responseError: result, context: "close")
        }
    }

    // MARK: Producer

    /// Queues a message; its delivery report reaches the context with `token`.
    /// - Returns: nil once queued, or why librdkafka refused it (``KafkaError/isQueueFull`` when only for now).
    func produce(
        topic: String,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader],
        token: UInt64
    ) -> KafkaError? {
        let headerList = rd_kafka_headers_new(headers.count)
        for header in headers {
            header.value.withUnsafeBytes { bytes in
                _ = rd_kafka_header_add(headerList, header.name, -1, bytes.baseAddress, bytes.count)
            }
        }
        var value = value
        let result = value.withUnsafeMutableBytes { valueBytes in
            withOptionalBytes(key) { keyBytes in
                erasure_relay_produce(
                    handle,
                    topic,
                    keyBytes.baseAddress,
                    keyBytes.count,
                    valueBytes.baseAddress,
                    valueBytes.count,
                    headerList,
                    UnsafeMutableRawPointer(bitPattern: UInt(token))
                )
            }
        }
        if result == RD_KAFKA_RESP_ERR_NO_ERROR { return nil }
        // librdkafka owns the headers only once the message is queued.
        rd_kafka_headers_destroy(headerList)
        return KafkaError(code: .delivery, responseError: result, context: "produce to \(topic)")
    }

    /// Serves delivery reports and other callbacks, waiting up to `milliseconds` for one.
    func poll(milliseconds: Int32) {
        _ = rd_kafka_poll(handle, milliseconds)
    }

    /// Waits up to `milliseconds` for every queued message to be acknowledged or to fail.
    func flush(milliseconds: Int32) throws(KafkaError) {
        let result = rd_kafka_flush(handle, milliseconds)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: .client, responseError: result, context: "flush")
        }
    }

    /// The client's fatal error, once it has one.
    var fatalError: KafkaError? {
        var detail = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &detail, detail.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(fatal: code, detail: detail)
    }

    /// Raises the fatal error an idempotent producer raises when the broker's sequence numbers cannot be reconciled.
    func raiseFatalErrorForTesting(reason: String) {
        _ = rd_kafka_test_fatal_error(handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason)
    }

    // MARK: Mock cluster

    /// Starts librdkafka's mock cluster inside this client, which then must outlive it.
    func startMockCluster(brokerCount: Int) -> RDKafkaMockCluster? {
        rd_kafka_mock_cluster_new(handle, Int32(brokerCount)).map(RDKafkaMockCluster.init(cluster:))
    }
}

private func withOptionalBytes<Result>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    guard let bytes else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    return bytes.withUnsafeBytes(body)
}

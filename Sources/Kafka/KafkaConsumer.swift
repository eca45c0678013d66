import CRDKafka
import Logging
import Synchronization

/// What a poll of the consumer produced.
public enum KafkaConsumerEvent: Sendable {
    /// A message to process. Its offset is committed only once it is passed to ``KafkaConsumer/storeOffsets(_:)``.
    case message(KafkaMessage)
    /// Partitions added to this member's assignment. They start from their committed offsets.
    case assigned([TopicPartition])
    /// Partitions taken away. When `lost` is true other members may already own them, so their work must be
    /// dropped; otherwise offsets stored before this event have been committed.
    case revoked([TopicPartition], lost: Bool)
    /// An error the client reported. Fatal errors leave the consumer unusable.
    case error(KafkaError)
}

/// A group consumer with manual offset storing and pause/resume, over librdkafka's high-level consumer.
///
/// librdkafka commits, every `auto.commit.interval.ms` and on revoke and close, only what was passed to
/// ``storeOffsets(_:)``: a message that is never marked done is never committed, which is what at-least-once rests on.
/// Polls block on a thread of their own, never on Swift's cooperative pool.
// The client pointer is only handed to librdkafka calls, which are thread-safe; all Swift state is behind a Mutex.
public final class KafkaConsumer: @unchecked Sendable {
    /// Settings the consumer always applies, whatever the configuration says.
    public static let requiredProperties: [String: String] = [
        "enable.auto.offset.store": "false",
        "enable.partition.eof": "false",
    ]

    /// Settings the consumer applies unless the configuration overrides them.
    public static let defaultProperties: [String: String] = [
        "partition.assignment.strategy": "cooperative-sticky",
        "enable.auto.commit": "true",
        "auto.commit.interval.ms": "1000",
        "auto.offset.reset": "earliest",
        // The prefetch is bounded by bytes (4 MB of payload in all, whatever the partition count). The message-count
        // threshold stays high: when the local queue reaches either bound, librdkafka 2.0.2 stops fetching for
        // about a second, which a small count bound turns into a throughput ceiling.
        "queued.min.messages": "100000",
        "queued.max.messages.kbytes": "4096",
    ]

    private let handle: OpaquePointer
    private let context: Unmanaged<Context>
    private let blockingCalls: BlockingCallQueue
    private let closed = Mutex(false)
    private let logger: Logger

    /// Code that librdkafka's callbacks run on the polling thread. Each must be quick and must not call back into
    /// the consumer's blocking calls.
    public struct Hooks: Sendable {
        /// Partitions are about to be revoked, before they can be assigned to another member: the partitions
        /// going and the assignment that remains.
        public var beforeRevoke: (@Sendable (_ revoked: [TopicPartition], _ remaining: Set<TopicPartition>) -> Void)?
        /// librdkafka's statistics JSON, every `statistics.interval.ms`.
        public var statistics: (@Sendable (String) -> Void)?
        /// An offset commit finished: whether it succeeded, and the offsets the broker now holds.
        public var offsetsCommitted: (@Sendable (_ succeeded: Bool, _ offsets: [TopicPartition: Int64]) -> Void)?

        public init(
            beforeRevoke: (@Sendable ([TopicPartition], Set<TopicPartition>) -> Void)? = nil,
            statistics: (@Sendable (String) -> Void)? = nil,
            offsetsCommitted: (@Sendable (Bool, [TopicPartition: Int64]) -> Void)? = nil
        ) {
            self.beforeRevoke = beforeRevoke
            self.statistics = statistics
            self.offsetsCommitted = offsetsCommitted
        }
    }

    /// Creates a consumer in group `groupID`.
    /// - Throws: ``KafkaError`` with code `configuration` naming a property librdkafka rejected.
    public init(
        configuration: KafkaClientConfiguration,
        groupID: String,
        logger: Logger,
        hooks: Hooks = Hooks()
    ) throws(KafkaError) {
        var properties = configuration.merged(defaults: Self.defaultProperties, required: Self.requiredProperties)
        properties["group.id"] = groupID
        let conf = try RDKafkaConfig.make(properties: properties)
        let context = Unmanaged.passRetained(Context(logger: logger, hooks: hooks))
        if hooks.statistics != nil {
            rd_kafka_conf_set_stats_cb(conf) { client, json, length, _ in
                guard let json, let context = ClientContext.from(client: client) as? Context else { return 0 }
                let text = String(decoding: UnsafeRawBufferPointer(start: json, count: length), as: UTF8.self)
                context.hooks.statistics?(text)
                return 0
            }
        }
        if hooks.offsetsCommitted != nil {
            rd_kafka_conf_set_offset_commit_cb(conf) { client, error, partitions, _ in
                guard let context = ClientContext.from(client: client) as? Context else { return }
                var committed: [TopicPartition: Int64] = [:]
                if let partitions {
                    for element in UnsafeBufferPointer(
                        start: partitions.pointee.elems,
                        count: Int(partitions.pointee.cnt)
                    )
                    where element.err == RD_KAFKA_RESP_ERR_NO_ERROR && element.offset >= 0 {
                        committed[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] =
                            element.offset
                    }
                }
                // _NO_OFFSET: nothing was stored since the last commit; not a failure.
                let succeeded = error == RD_KAFKA_RESP_ERR_NO_ERROR || error == RD_KAFKA_RESP_ERR__NO_OFFSET
                context.hooks.offsetsCommitted?(succeeded, committed)
            }
        }
        rd_kafka_conf_set_opaque(conf, context.toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf) { client, error, partitions, opaque in
            guard let client, let partitions, let opaque else { return }
            Unmanaged<Context>.fromOpaque(opaque).takeUnretainedValue()
                .rebalance(client: client, error: error, partitions: partitions)
        }
        installLogAndErrorCallbacks(conf)
        do {
            self.handle = try RDKafkaConfig.newClient(type: RD_KAFKA_CONSUMER, conf: conf)
        } catch {
            context.release()
            throw error
        }
        self.context = context
        self.logger = logger
        self.blockingCalls = BlockingCallQueue(label: "erasure-relay.kafka.consumer")
        // Logs, errors and rebalances then all come out of rd_kafka_consumer_poll, on the polling thread.
        rd_kafka_poll_set_consumer(handle)
    }

    deinit {
        closeNow()
    }

    /// Joins the group and subscribes to `topics`.
    public func subscribe(topics: [String]) throws(KafkaError) {
        let partitions = topics.map { TopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) }
        try RDKafkaTopicPartitionList.withList(partitions) { list throws(KafkaError) in
            let result = rd_kafka_subscribe(handle, list)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .client, responseError: result, context: "subscribe to \(topics)")
            }
        }
    }

    /// Waits up to `timeout` for the next message, returning it after any rebalance or error that came first, and
    /// then whatever further messages are already fetched, up to `maxEvents`.
    ///
    /// - Important: keep polling while partitions are paused: a consumer that stops polling for longer than
    ///   `max.poll.interval.ms` leaves the group.
    /// - Parameters:
    ///   - timeout: how long to wait for the first event.
    ///   - maxEvents: the most messages one call returns.
    public func poll(timeout: Duration, maxEvents: Int = 1) async -> [KafkaConsumerEvent] {
        let milliseconds = Int32(
            clamping: timeout.components.seconds * 1000
                + timeout.components.attoseconds / 1_000_000_000_000_000
        )
        let handle = UncheckedHandle(pointer: handle)
        let context = context.takeUnretainedValue()
        return await blockingCalls.run {
            var events: [KafkaConsumerEvent] = []
            var timeout = milliseconds
            // After the first message, take what is already queued without waiting, up to a bound, so that one
            // hop to the polling thread carries many messages.
            while events.count < maxEvents, let message = rd_kafka_consumer_poll(handle.pointer, timeout) {
                events += context.takeEvents()
                events.append(Self.event(consuming: message))
                timeout = 0
            }
            return events + context.takeEvents()
        }
    }

    /// Marks, per partition, everything before the given offset as done, for the next commit.
    /// - Parameter offsets: per partition, the offset of the next message to consume (the last done offset + 1).
    /// - Throws: ``KafkaError`` with code `offsetStore` when a partition is no longer assigned.
    public func storeOffsets(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try RDKafkaTopicPartitionList.withList(offsets.keys, offsets: offsets) { list throws(KafkaError) in
            let result = rd_kafka_offsets_store(handle, list)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .offsetStore, responseError: result, context: "store offsets")
            }
        }
    }

    /// Commits the stored offsets now and waits for the broker's answer.
    public func commitStoredOffsets() async throws(KafkaError) {
        let handle = UncheckedHandle(pointer: handle)
        let result = await blockingCalls.run { rd_kafka_commit(handle.pointer, nil, 0) }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError(code: .client, responseError: result, context: "commit")
        }
    }

    /// Stops fetching from every assigned partition, and from partitions assigned later, until ``resumeAll()``.
    /// Polling must go on meanwhile.
    public func pauseAll() throws(KafkaError) {
        let partitions = context.takeUnretainedValue().setPaused(true)
        try apply(pause: true, to: partitions)
    }

    /// Fetches again from every assigned partition that is not held by ``hold(_:)``.
    public func resumeAll() throws(KafkaError) {
        let partitions = context.takeUnretainedValue().setPaused(false)
        try apply(pause: false, to: partitions)
    }

    /// Stops fetching from `partition` alone until ``release(_:)``, whatever ``pauseAll()`` and ``resumeAll()`` do
    /// meanwhile. Messages already fetched past the last one polled are dropped and fetched again on release.
    /// A hold ends when the partition is revoked.
    public func hold(_ partition: TopicPartition) throws(KafkaError) {
        guard context.takeUnretainedValue().setHeld(partition, true) else { return }
        try apply(pause: true, to: [partition])
    }

    /// Ends a hold; the partition fetches again unless every partition is paused.
    public func release(_ partition: TopicPartition) throws(KafkaError) {
        guard context.takeUnretainedValue().setHeld(partition, false) else { return }
        try apply(pause: false, to: [partition])
    }

    /// Whether fetching is paused.
    public var isPaused: Bool { context.takeUnretainedValue().isPaused }

    /// The partitions currently assigned to this member.
    public var assignment: Set<TopicPartition> { context.takeUnretainedValue().currentAssignment }

    /// The committed offsets of `partitions`, as the group coordinator has them.
    public func committedOffsets(
        for partitions: [TopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartition: Int64] {
        let handle = UncheckedHandle(pointer: handle)
        let milliseconds = Int32(timeout.components.seconds * 1000)
        let outcome: Result<[TopicPartition: Int64], KafkaError> = await blockingCalls.run {
            do throws(KafkaError) {
                return .success(
                    try RDKafkaTopicPartitionList.withList(partitions) { list throws(KafkaError) in
                        let result = rd_kafka_committed(handle.pointer, list, milliseconds)
                        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                            throw KafkaError(code: .client, responseError: result, context: "committed offsets")
                        }
                        var offsets: [TopicPartition: Int64] = [:]
                        for element in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) {
                            let partition = TopicPartition(
                                topic: String(cString: element.topic),
                                partition: element.partition
                            )
                            offsets[partition] = element.offset
                        }
                        return offsets
                    }
                )
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
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
        let handle = UncheckedHandle(pointer: handle)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000)
        let result: Result<[TopicPartition: (low: Int64, high: Int64)], KafkaError> = await blockingCalls.run {
            var offsets: [TopicPartition: (low: Int64, high: Int64)] = [:]
            for partition in partitions {
                var low: Int64 = 0
                var high: Int64 = 0
                let error = rd_kafka_query_watermark_offsets(
                    handle.pointer,
                    partition.topic,
                    partition.partition,
                    &low,
                    &high,
                    milliseconds
                )
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    return .failure(
                        KafkaError(code: .client, responseError: error, context: "watermarks of \(partition)")
                    )
                }
                offsets[partition] = (low, high)
            }
            return .success(offsets)
        }
        return try result.get()
    }

    /// Reads `partitions` from the given offsets, outside any group assignment: for tools that read a topic
    /// through once, such as replay. Use instead of ``subscribe(topics:)``, never with it.
    public func assign(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        try RDKafkaTopicPartitionList.withList(offsets.keys, offsets: offsets) { list throws(KafkaError) in
            let result = rd_kafka_assign(handle, list)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .client, responseError: result, context: "assign")
            }
        }
    }

    /// The number of partitions of `topic`, from the cluster's metadata.
    public func partitionCount(topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> Int {
        let handle = UncheckedHandle(pointer: handle)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000)
        let result: Result<Int, KafkaError> = await blockingCalls.run {
            guard let topicHandle = rd_kafka_topic_new(handle.pointer, topic, nil) else {
                return .failure(KafkaError(code: .client, message: "cannot open topic \(topic)"))
            }
            defer { rd_kafka_topic_destroy(topicHandle) }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(handle.pointer, 0, topicHandle, &metadata, milliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                return .failure(KafkaError(code: .client, responseError: error, context: "metadata for \(topic)"))
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
            guard let entry = topics.first(where: { String(cString: $0.topic) == topic }),
                entry.err == RD_KAFKA_RESP_ERR_NO_ERROR
            else {
                return .failure(
                    KafkaError(
                        code: .client,
                        message: "topic \(topic) not found in metadata",
                        isRetriable: true
                    )
                )
            }
            return .success(Int(entry.partition_cnt))
        }
        return try result.get()
    }

    /// Leaves the group: runs the final revoke, commits the stored offsets and destroys the client.
    /// Calling it again does nothing.
    public func close() async {
        await blockingCalls.run { self.closeNow() }
    }

    private func closeNow() {
        let alreadyClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        let result = rd_kafka_consumer_close(handle)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning(
                "Kafka consumer close reported an error",
                metadata: ["kafka.error": "\(String(cString: rd_kafka_err2name(result)))"]
            )
        }
        rd_kafka_destroy(handle)
        context.release()
    }

    private func apply(pause: Bool, to partitions: Set<TopicPartition>) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        try RDKafkaTopicPartitionList.withList(partitions) { list throws(KafkaError) in
            let result = pause ? rd_kafka_pause_partitions(handle, list) : rd_kafka_resume_partitions(handle, list)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: .client, responseError: result, context: pause ? "pause" : "resume")
            }
        }
    }

    private static func event(consuming message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerEvent {
        defer { rd_kafka_message_destroy(message) }
        let fields = message.pointee
        if fields.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return .error(KafkaError(code: .client, responseError: fields.err, context: "consume"))
        }
        let topic = fields.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let value = fields.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.len)) } ?? []
        let key = fields.key.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.key_len)) }
        return .message(
            KafkaMessage(
                topicPartition: TopicPartition(topic: topic, partition: fields.partition),
                offset: fields.offset,
                key: key,
                value: value,
                headers: headers(of: message)
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

extension KafkaConsumer {
    /// State shared with librdkafka's callbacks, which run on the polling thread.
    final class Context: ClientContext, @unchecked Sendable {
        struct State {
            var assignment: Set<TopicPartition> = []
            var paused = false
            var held: Set<TopicPartition> = []
            var events: [KafkaConsumerEvent] = []

            func isPaused(_ partition: TopicPartition) -> Bool { paused || held.contains(partition) }
        }

        private let state = Mutex(State())
        let hooks: Hooks

        init(logger: Logger, hooks: Hooks) {
            self.hooks = hooks
            super.init(logger: logger)
        }

        var isPaused: Bool { state.withLock { $0.paused } }
        var currentAssignment: Set<TopicPartition> { state.withLock { $0.assignment } }

        /// Returns the assigned partitions whose fetching this changes.
        func setPaused(_ paused: Bool) -> Set<TopicPartition> {
            state.withLock { state in
                state.paused = paused
                return state.assignment.subtracting(state.held)
            }
        }

        /// Returns whether librdkafka must be told: the partition is assigned and its fetching changes.
        func setHeld(_ partition: TopicPartition, _ held: Bool) -> Bool {
            state.withLock { state in
                guard state.assignment.contains(partition) else { return false }
                let wasPaused = state.isPaused(partition)
                if held { state.held.insert(partition) } else { state.held.remove(partition) }
                return state.isPaused(partition) != wasPaused
            }
        }

        func takeEvents() -> [KafkaConsumerEvent] {
            state.withLock { state in
                defer { state.events.removeAll() }
                return state.events
            }
        }

        override func report(_ error: KafkaError) {
            state.withLock { $0.events.append(.error(error)) }
        }

        func rebalance(
            client: OpaquePointer,
            error: rd_kafka_resp_err_t,
            partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
        ) {
            let changed = RDKafkaTopicPartitionList.partitions(of: partitions)
            let cooperative = String(cString: rd_kafka_rebalance_protocol(client)) == "COOPERATIVE"
            switch error {
            case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                let failure =
                    cooperative
                    ? rd_kafka_incremental_assign(client, partitions).map {
                        KafkaError(code: .rebalance, consuming: $0, context: "incremental assign")
                    }
                    : Self.failure(rd_kafka_assign(client, partitions), context: "assign")
                let paused = state.withLock { state in
                    state.assignment.formUnion(changed)
                    state.events.append(.assigned(changed))
                    if let failure { state.events.append(.error(failure)) }
                    return state.paused
                }
                // Pause state outlives a revoke and re-assignment of the same partition, and librdkafka cannot be
                // asked for it, so every new assignment is set explicitly to what the pipeline wants now. Holds
                // ended with the revoke, so only the pipeline-wide pause applies.
                _ =
                    paused
                    ? rd_kafka_pause_partitions(client, partitions) : rd_kafka_resume_partitions(client, partitions)
                logger.debug("Kafka partitions assigned", metadata: ["kafka.partitions": "\(changed.sorted())"])
            case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
                let lost = rd_kafka_assignment_lost(client) != 0
                hooks.beforeRevoke?(changed, state.withLock { $0.assignment }.subtracting(changed))
                // Offsets are stored as requests finish, so everything done is already stored here, before the
                // unassign that commits it.
                let failure =
                    cooperative
                    ? rd_kafka_incremental_unassign(client, partitions).map {
                        KafkaError(code: .rebalance, consuming: $0, context: "incremental unassign")
                    }
                    : Self.failure(rd_kafka_assign(client, nil), context: "unassign")
                state.withLock { state in
                    state.assignment.subtract(changed)
                    state.held.subtract(changed)
                    state.events.append(.revoked(changed, lost: lost))
                    if let failure { state.events.append(.error(failure)) }
                }
                logger.debug(
                    "Kafka partitions revoked",
                    metadata: ["kafka.partitions": "\(changed.sorted())", "kafka.lost": "\(lost)"]
                )
            default:
                let failure = KafkaError(code: .rebalance, responseError: error, context: "rebalance")
                _ = cooperative ? nil : rd_kafka_assign(client, nil)
                state.withLock { $0.events.append(.error(failure)) }
            }
        }

        private static func failure(_ result: rd_kafka_resp_err_t, context: String) -> KafkaError? {
            result == RD_KAFKA_RESP_ERR_NO_ERROR
                ? nil : KafkaError(code: .rebalance, responseError: result, context: context)
        }
    }
}

/// A client pointer carried into the blocking-call thread; librdkafka's client calls are thread-safe.
struct UncheckedHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

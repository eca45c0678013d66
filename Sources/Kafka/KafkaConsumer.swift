import Logging
import Synchronization

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

    let client: RDKafkaClient
    private let context: Context
    private let blockingCalls: BlockingCallQueue
    private let closed = Mutex(false)
    let logger: Logger

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
        let context = Context(logger: logger, hooks: hooks)
        var callbacks: RDKafkaClient.Callbacks = .rebalances
        if hooks.statistics != nil { callbacks.insert(.statistics) }
        if hooks.offsetsCommitted != nil { callbacks.insert(.offsetCommits) }
        self.client = try RDKafkaClient(kind: .consumer, properties: properties, context: context, callbacks: callbacks)
        self.context = context
        self.logger = logger
        self.blockingCalls = BlockingCallQueue(label: "erasure-relay.kafka.consumer")
    }

    deinit {
        closeNow()
    }

    /// Joins the group and subscribes to `topics`.
    public func subscribe(topics: [String]) throws(KafkaError) {
        try client.subscribe(topics: topics)
    }

    /// Reads `partitions` from the given offsets, outside any group assignment: for tools that read a topic
    /// through once, such as replay. Use instead of ``subscribe(topics:)``, never with it.
    public func assign(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        try client.assign(offsets)
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
        let milliseconds = timeout.clampedMilliseconds
        let client = client
        let context = context
        return await blockingCalls.run {
            var events: [KafkaConsumerEvent] = []
            var timeout = milliseconds
            // After the first message, take what is already queued without waiting, up to a bound, so that one
            // hop to the polling thread carries many messages.
            while events.count < maxEvents, let event = client.consumerPoll(milliseconds: timeout) {
                events += context.takeEvents()
                if case .message(let message) = event, context.isPaused(message.topicPartition) {
                    Self.pauseAgain(message.topicPartition, client: client, context: context)
                }
                events.append(event)
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
        try client.storeOffsets(offsets)
    }

    /// Commits the stored offsets now and waits for the broker's answer.
    public func commitStoredOffsets() async throws(KafkaError) {
        try await blocking { client throws(KafkaError) in try client.commitStoredOffsets() }
    }

    /// Stops fetching from every assigned partition, and from partitions assigned later, until ``resumeAll()``.
    /// Polling must go on meanwhile.
    public func pauseAll() throws(KafkaError) {
        try context.changingFetch { () throws(KafkaError) in
            try apply(pause: true, to: context.setPaused(true))
        }
    }

    /// Fetches again from every assigned partition that is not held by ``hold(_:)``.
    public func resumeAll() throws(KafkaError) {
        try context.changingFetch { () throws(KafkaError) in
            try apply(pause: false, to: context.setPaused(false))
        }
    }

    /// Stops fetching from `partition` alone until ``release(_:)``, whatever ``pauseAll()`` and ``resumeAll()`` do
    /// meanwhile. Messages already fetched past the last one polled are dropped and fetched again on release.
    /// A hold ends when the partition is revoked.
    public func hold(_ partition: TopicPartition) throws(KafkaError) {
        try context.changingFetch { () throws(KafkaError) in
            guard context.setHeld(partition, true) else { return }
            try apply(pause: true, to: [partition])
        }
    }

    /// Ends a hold; the partition fetches again unless every partition is paused.
    public func release(_ partition: TopicPartition) throws(KafkaError) {
        try context.changingFetch { () throws(KafkaError) in
            guard context.setHeld(partition, false) else { return }
            try apply(pause: false, to: [partition])
        }
    }

    /// Whether fetching is paused.
    public var isPaused: Bool { context.isPaused }

    /// The partitions currently assigned to this member.
    public var assignment: Set<TopicPartition> { context.currentAssignment }

    /// Leaves the group: runs the final revoke, commits the stored offsets and destroys the client.
    /// Calling it again does nothing.
    public func close() async {
        await blockingCalls.run { self.closeNow() }
    }

    /// Runs `body`, then leaves the group and closes the consumer, whether `body` returned or threw: for tools that
    /// read a topic once.
    public func closing<Result>(after body: () async throws -> Result) async throws -> Result {
        let result: Result
        do {
            result = try await body()
        } catch {
            await close()
            throw error
        }
        await close()
        return result
    }

    /// Runs `body` on the thread for blocking calls.
    func blocking<Value: Sendable>(
        _ body: @escaping @Sendable (RDKafkaClient) throws(KafkaError) -> Value
    ) async throws(KafkaError) -> Value {
        let client = client
        let result = await blockingCalls.run { () -> Result<Value, KafkaError> in
            do throws(KafkaError) {
                return .success(try body(client))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func closeNow() {
        let alreadyClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        do {
            try client.closeConsumer()
        } catch {
            logger.warning("Kafka consumer close reported an error", metadata: ["kafka.error": "\(error)"])
        }
        client.destroy()
    }

    /// librdkafka 2.0.2 can lose a pause: its ops carry a version, and a pause op that reaches the partition's thread
    /// after a newer op of librdkafka's own (such as the fetch start of a new assignment) is dropped as outdated,
    /// while `rd_kafka_pause_partitions` still reports success. The first message that gets through shows it. That message
    /// is delivered, since librdkafka already counts it consumed and dropping it would skip it, and the pause is
    /// applied again at once: that discards what was prefetched behind the message and fetches from the one after it
    /// on resume, so at most one message per partition passes a lost pause.
    private static func pauseAgain(_ partition: TopicPartition, client: RDKafkaClient, context: Context) {
        do throws(KafkaError) {
            try context.changingFetch { () throws(KafkaError) in
                // A resume may have come in since the message was read.
                guard context.isPaused(partition) else { return }
                try client.setPaused(true, [partition])
                context.logger.debug(
                    "Kafka partition fetched while paused; paused again",
                    metadata: ["kafka.partition": "\(partition)"]
                )
            }
        } catch {
            context.report(error)
        }
    }

    private func apply(pause: Bool, to partitions: Set<TopicPartition>) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        try client.setPaused(pause, partitions)
    }
}

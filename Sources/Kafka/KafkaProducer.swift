import Logging
import Synchronization

/// An idempotent producer whose every send waits for the broker's acknowledgement.
///
/// Delivery reports are served by ``run()``, which must be running, typically as a service next to the consumer,
/// for any ``send(topic:key:value:headers:)`` to complete.
// The client pointer is only handed to librdkafka calls, which are thread-safe; all Swift state is behind a Mutex.
public final class KafkaProducer: @unchecked Sendable {
    /// Settings the producer always applies, whatever the configuration says.
    public static let requiredProperties: [String: String] = [
        "enable.idempotence": "true",
        "acks": "all",
    ]

    /// Settings the producer applies unless the configuration overrides them.
    public static let defaultProperties: [String: String] = [
        "message.timeout.ms": "30000",
        "linger.ms": "5",
        // Room for a dead-letter copy of the largest message a broker accepts by default (1 MB), plus its headers.
        "message.max.bytes": "2097152",
    ]

    private let client: RDKafkaClient
    private let context: Context
    private let blockingCalls: BlockingCallQueue
    /// Where a send waits for room while librdkafka's local queue is full, one at a time and in order, off the
    /// cooperative threads.
    private let waitingForRoom: BlockingCallQueue
    private let logger: Logger
    private let lifecycle = Mutex(Lifecycle.open)

    private static let cancelled = KafkaError(code: .cancelled, message: "stopped waiting for the acknowledgement")

    private enum Lifecycle {
        case open
        case closed
    }

    /// - Throws: ``KafkaError`` with code `configuration` naming a property librdkafka rejected.
    public init(configuration: KafkaClientConfiguration, logger: Logger) throws(KafkaError) {
        let properties = configuration.merged(defaults: Self.defaultProperties, required: Self.requiredProperties)
        let context = Context(logger: logger)
        self.client = try RDKafkaClient(
            kind: .producer,
            properties: properties,
            context: context,
            callbacks: .deliveryReports
        )
        self.context = context
        self.logger = logger
        self.blockingCalls = BlockingCallQueue(label: "erasure-relay.kafka.producer")
        self.waitingForRoom = BlockingCallQueue(label: "erasure-relay.kafka.producer.full")
    }

    deinit {
        destroy()
    }

    /// Sends one message and waits until the broker has acknowledged it (or it finally failed).
    ///
    /// A full local queue is not an error: the send waits for room instead of dropping the message.
    /// - Throws: ``KafkaError`` with code `delivery` when the message could not be delivered within
    ///   `message.timeout.ms`, `shutdown` when the producer is closed, or `cancelled` when the task is cancelled first
    ///   (the message may then still be delivered).
    @discardableResult
    public func send(
        topic: String,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = []
    ) async throws(KafkaError) -> DeliveryReport {
        guard lifecycle.withLock({ $0 == .open }) else {
            throw KafkaError(code: .shutdown, message: "producer closed")
        }
        let context = context
        let token = context.nextToken()
        let result: Result<DeliveryReport, KafkaError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard !Task.isCancelled else {
                    continuation.resume(returning: .failure(Self.cancelled))
                    return
                }
                guard context.register(token: token, continuation: continuation) else { return }
                enqueue(topic: topic, key: key, value: value, headers: headers, token: token)
            }
        } onCancel: {
            // The message may still be delivered; the caller only stops waiting for the acknowledgement.
            context.fail(token: token, with: Self.cancelled)
        }
        return try result.get()
    }

    /// Serves delivery reports until the task is cancelled, then flushes what is still queued.
    public func run() async {
        let client = client
        while !Task.isCancelled {
            await blockingCalls.run { client.poll(milliseconds: 100) }
        }
        await flush(timeout: .seconds(10))
    }

    /// Waits up to `timeout` for every queued message to be acknowledged or to fail.
    public func flush(timeout: Duration) async {
        let client = client
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000)
        let result = await blockingCalls.run { () -> KafkaError? in
            do throws(KafkaError) {
                try client.flush(milliseconds: milliseconds)
                return nil
            } catch {
                return error
            }
        }
        if let result {
            logger.warning(
                "Kafka producer flush left messages undelivered",
                metadata: ["kafka.error": "\(result.librdkafkaName ?? result.message)"]
            )
        }
    }

    /// The producer's fatal error, once it has one (the idempotent producer's state cannot be recovered): it then
    /// delivers nothing more, and the process should exit so that it is restarted with a new producer.
    public var fatalError: KafkaError? { client.fatalError }

    /// Raises a fatal error as the idempotent producer does when the broker's view of its sequence numbers cannot be
    /// reconciled, through librdkafka's test hook, so that tests can prove what follows one.
    /// - Parameter reason: the text the error carries.
    public func raiseFatalErrorForTesting(reason: String) {
        client.raiseFatalErrorForTesting(reason: reason)
    }

    /// Hands the message to librdkafka; when its local queue is full, waits for room on a thread of its own rather
    /// than blocking the calling task's cooperative thread, and fails the send if the queue refuses it for another
    /// reason. The waiting work holds the producer, so its client outlives the wait.
    private func enqueue(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader], token: UInt64) {
        guard let failure = client.produce(topic: topic, key: key, value: value, headers: headers, token: token)
        else { return }
        guard failure.isQueueFull else {
            context.fail(token: token, with: failure)
            return
        }
        waitingForRoom.submit { [self] in
            var failure = failure
            while failure.isQueueFull {
                // The queue drains as delivery reports are served; give it a moment rather than dropping the message.
                client.poll(milliseconds: 10)
                guard let next = client.produce(topic: topic, key: key, value: value, headers: headers, token: token)
                else { return }
                failure = next
            }
            context.fail(token: token, with: failure)
        }
    }

    private func destroy() {
        let wasOpen = lifecycle.withLock { state in
            defer { state = .closed }
            return state == .open
        }
        guard wasOpen else { return }
        try? client.flush(milliseconds: 5000)
        client.destroy()
        context.failAll(KafkaError(code: .shutdown, message: "producer closed"))
    }
}

extension KafkaProducer {
    final class Context: ClientContext, @unchecked Sendable {
        private struct State {
            var nextToken: UInt64 = 1
            var waiting: [UInt64: CheckedContinuation<Result<DeliveryReport, KafkaError>, Never>] = [:]
            var fatal: KafkaError?
        }

        private let state = Mutex(State())

        func nextToken() -> UInt64 {
            state.withLock { state in
                defer { state.nextToken += 1 }
                return state.nextToken
            }
        }

        /// Waits for `token`'s delivery report. Returns false, having failed the send, once the producer is fatal.
        func register(
            token: UInt64,
            continuation: CheckedContinuation<Result<DeliveryReport, KafkaError>, Never>
        ) -> Bool {
            let fatal = state.withLock { state in
                if state.fatal == nil { state.waiting[token] = continuation }
                return state.fatal
            }
            guard let fatal else { return true }
            continuation.resume(returning: .failure(fatal))
            return false
        }

        /// After a fatal error librdkafka 2.0.2 sends no delivery report for the messages it holds: every send still
        /// waiting, and every later one, fails with the error instead of waiting for ever.
        override func report(_ error: KafkaError) {
            guard error.isFatal else { return }
            let waiting = state.withLock { state in
                state.fatal = state.fatal ?? error
                defer { state.waiting.removeAll() }
                return state.waiting
            }
            for continuation in waiting.values { continuation.resume(returning: .failure(error)) }
        }

        func fail(token: UInt64, with error: KafkaError) {
            state.withLock { $0.waiting.removeValue(forKey: token) }?.resume(returning: .failure(error))
        }

        func failAll(_ error: KafkaError) {
            let waiting = state.withLock { state in
                defer { state.waiting.removeAll() }
                return state.waiting
            }
            for continuation in waiting.values { continuation.resume(returning: .failure(error)) }
        }

        override func delivered(token: UInt64, result: Result<DeliveryReport, KafkaError>) {
            state.withLock { $0.waiting.removeValue(forKey: token) }?.resume(returning: result)
        }
    }
}

import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// The consumer loop: reads requests, runs each through the vendor lanes, publishes its outcome, and stores its
/// offset only once the outcome is acknowledged and every earlier message of its partition is done.
public final class ErasureRelayService: Service {
    public struct Topics: Sendable {
        /// Erasure requests, `kafka.request_topic`.
        public var requests: String
        /// One outcome per request, `kafka.outcome_topic`.
        public var outcomes: String
        /// Rejected messages and failed requests, `kafka.dead_letter_topic`.
        public var deadLetters: String
        /// Parked work; consumed as well as `requests`.
        public var retries: String

        public init(requests: String, outcomes: String, deadLetters: String, retries: String) {
            self.requests = requests
            self.outcomes = outcomes
            self.deadLetters = deadLetters
            self.retries = retries
        }

        public init(_ kafka: RelayConfiguration.Kafka) {
            self.init(
                requests: kafka.requestTopic,
                outcomes: kafka.outcomeTopic,
                deadLetters: kafka.deadLetterTopic,
                retries: kafka.retryTopic
            )
        }
    }

    /// A parked message read before its time: held in memory, its partition paused, until the loop starts it.
    private struct WaitingMessage {
        var message: KafkaMessage
        var notBefore: Timestamp
    }

    private struct FlowState {
        var ledger = OffsetLedger<TopicPartition>()
        var paused = false
        var draining = false
        /// When each unfinished request was read, and its deadline once decoded: for the age and slack metrics.
        var readAt: [OffsetLedger<TopicPartition>.Ticket: ContinuousClock.Instant] = [:]
        var deadlines: [OffsetLedger<TopicPartition>.Ticket: Timestamp] = [:]
        /// Parked messages waiting for their time. Each keeps its retry partition held, so at most the messages of
        /// one poll wait per partition, however long the retry topic is.
        var waiting: [OffsetLedger<TopicPartition>.Ticket: WaitingMessage] = [:]
    }

    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let topics: Topics
    private let pipeline: RelayConfiguration.Pipeline
    private let parking: ParkingPolicy
    private let signer: RecordSigner
    private let lanes: [VendorLane]
    private let processor: RequestProcessor
    private let decoder: RequestDecoder
    private let logger: Logger
    private let flow = Mutex(FlowState())
    private let room = RoomSignal()
    private let observer: (@Sendable (Outcome) -> Void)?
    private let shareTracker: PartitionShareTracker
    private let commits: CommitLatencyTracker?
    private let health: RelayHealth
    private let metrics: RelayMetrics

    /// - Parameters:
    ///   - consumer: subscribed to the request and retry topics by ``run()``; its offsets are stored by this service.
    ///   - producer: publishes outcomes, dead letters and parked work.
    ///   - topics: the four topics the service reads and writes.
    ///   - pipeline: in-flight bounds, message size and drain timeout.
    ///   - parking: how parked work is retried and when it fails.
    ///   - signer: signs parked work and failed requests' dead letters, and checks what the retry topic holds.
    ///   - lanes: one per configured vendor, run by this service.
    ///   - adapters: the lanes' adapters, to know which vendors a request targets.
    ///   - shareTracker: this replica's share of each vendor quota, updated on every rebalance.
    ///   - commits: measures how long finished offsets take to be committed.
    ///   - health: updated as the consumer polls and joins the group.
    ///   - metrics: where the pipeline's metrics go.
    ///   - logger: the service's logger.
    ///   - observer: told of every outcome once the broker acknowledged it (used by the CLI and tests).
    public init(
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        topics: Topics,
        pipeline: RelayConfiguration.Pipeline,
        parking: RelayConfiguration.Parking = .init(),
        signer: RecordSigner,
        lanes: [VendorLane],
        adapters: [any VendorAdapter],
        shareTracker: PartitionShareTracker,
        commits: CommitLatencyTracker? = nil,
        health: RelayHealth = RelayHealth(),
        metrics: RelayMetrics = RelayMetrics(),
        logger: Logger,
        observer: (@Sendable (Outcome) -> Void)? = nil
    ) {
        self.shareTracker = shareTracker
        self.commits = commits
        self.health = health
        self.metrics = metrics
        self.consumer = consumer
        self.producer = producer
        self.topics = topics
        self.pipeline = pipeline
        self.parking = ParkingPolicy(parking)
        self.signer = signer
        self.lanes = lanes
        self.processor = RequestProcessor(lanes: lanes, adapters: adapters)
        self.decoder = RequestDecoder(limits: .init(maxMessageBytes: pipeline.maxMessageBytes))
        self.logger = logger
        self.observer = observer
    }

    /// Requests read and not yet done.
    public var inFlight: Int { flow.withLock { $0.ledger.inFlightCount } }

    public func run() async throws {
        try consumer.subscribe(topics: [topics.requests, topics.retries])
        logger.info(
            "Consuming erasure requests",
            metadata: [LoggingKeys.topic: "\(topics.requests)", "retry_topic": "\(topics.retries)"]
        )
        try await withThrowingDiscardingTaskGroup { laneRunners in
            for lane in lanes {
                laneRunners.addTask { await lane.run() }
            }
            defer { laneRunners.cancelAll() }
            try await consumeUntilShutdown()
        }
        // Commit while still a settled member of the group: the commit librdkafka makes while leaving can fail
        // with "rebalance in progress", which would replay finished requests after a restart.
        for attempt in 1...5 {
            do {
                try await consumer.commitStoredOffsets()
                break
            } catch {
                // A moving coordinator or a rebalance fails a commit for a moment; give it a few tries.
                guard error.isRetriable, attempt < 5 else {
                    logger.warning(
                        "Final offset commit failed; the group's next member may repeat finished requests",
                        metadata: [LoggingKeys.error: "\(error)"]
                    )
                    break
                }
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
        await consumer.close()
        logger.info("Stopped consuming erasure requests")
    }

    private func consumeUntilShutdown() async throws {
        let stopping = Mutex(false)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { requests in
                var lastGaugeUpdate = ContinuousClock.now
                while !stopping.withLock({ $0 }) && !Task.isCancelled {
                    for (message, ticket) in takeDueMessages() {
                        requests.addTask { await self.process(message, ticket: ticket) }
                    }
                    if await waitedForRoom() { continue }
                    let room = min(256, max(1, pipeline.maxInFlight - inFlight))
                    let events = await consumer.poll(timeout: .milliseconds(100), maxEvents: room)
                    health.polled()
                    for event in events {
                        try await handle(event, requests: &requests, admitting: true)
                    }
                    if ContinuousClock.now - lastGaugeUpdate >= .seconds(1) {
                        updateAgeMetrics()
                        lastGaugeUpdate = .now
                    }
                }
                try await drain(requests: &requests)
            }
        } onGracefulShutdown: {
            stopping.withLock { $0 = true }
        }
    }

    /// Stops fetching, gives in-flight requests the drain timeout to finish, and abandons the rest unstored, to be
    /// read again after a restart.
    private func drain(requests: inout ThrowingDiscardingTaskGroup<any Error>) async throws {
        health.stopping()
        flow.withLock { state in
            state.paused = true
            state.draining = true
            do { try consumer.pauseAll() } catch {
                logger.warning("Pause failed", metadata: [LoggingKeys.error: "\(error)"])
            }
        }
        for lane in lanes { await lane.flush() }
        let deadline = ContinuousClock.now.advanced(by: .seconds(pipeline.drainTimeoutSeconds))
        // Parked messages not yet due are left unstored: whoever owns their partition next reads them again.
        let started: @Sendable () -> Int = { self.flow.withLock { $0.ledger.inFlightCount - $0.waiting.count } }
        logger.info("Draining in-flight requests", metadata: [LoggingKeys.inFlight: "\(started())"])
        // Polling goes on while draining: it serves rebalances and keeps this member in the group.
        while started() > 0 && ContinuousClock.now < deadline && !Task.isCancelled {
            for event in await consumer.poll(timeout: .milliseconds(50)) {
                try await handle(event, requests: &requests, admitting: false)
            }
            health.polled()
        }
        if started() > 0 {
            logger.warning(
                "Drain timeout reached; unfinished requests will be read again after restart",
                metadata: [LoggingKeys.inFlight: "\(started())"]
            )
            for lane in lanes { await lane.abandonAll() }
            requests.cancelAll()
        }
    }

    private func handle(
        _ event: KafkaConsumerEvent,
        requests: inout ThrowingDiscardingTaskGroup<any Error>,
        admitting: Bool
    ) async throws {
        switch event {
        case .message(let message):
            guard admitting, let ticket = admit(message) else { return }
            // Only a signed record may hold its partition, and never for longer than the longest park.
            if message.topicPartition.topic == topics.retries, let notBefore = RequestProgress.notBefore(of: message),
                Timestamp.now() < notBefore, signer.isValid(value: message.value, headers: message.headers)
            {
                let latest = Timestamp.now().adding(seconds: Int64(parking.parking.maxDelaySeconds))
                hold(message, ticket: ticket, until: min(notBefore, latest))
                return
            }
            requests.addTask { await self.process(message, ticket: ticket) }
        case .assigned(let partitions):
            health.joinedGroup()
            flow.withLock { $0.ledger.assign(partitions) }
            metrics.partitionsAssigned(partitions)
            await updateQuotaShare()
            logger.info(
                "Partitions assigned",
                metadata: [
                    LoggingKeys.partition: "\(partitions.sorted())", "quota_share": "\(shareTracker.share.value)",
                ]
            )
        case .revoked(let partitions, let lost):
            metrics.partitionsRevoked(partitions)
            for lane in lanes { await lane.quotaShareChanged() }
            let dropped = flow.withLock { state in
                let revoked = Set(partitions)
                state.readAt = state.readAt.filter { !revoked.contains($0.key.partition) }
                state.deadlines = state.deadlines.filter { !revoked.contains($0.key.partition) }
                state.waiting = state.waiting.filter { !revoked.contains($0.key.partition) }
                return state.ledger.revoke(partitions)
            }
            logger.info(
                "Partitions revoked",
                metadata: [
                    LoggingKeys.partition: "\(partitions.sorted())", "lost": "\(lost)",
                    "dropped_in_flight": "\(dropped)",
                ]
            )
        case .error(let error) where error.isFatal:
            logger.error("Kafka consumer failed", metadata: [LoggingKeys.error: "\(error)"])
            throw error
        case .error(let error):
            if error.librdkafkaName == "_ALL_BROKERS_DOWN" { health.brokersUnreachable() }
            logger.warning("Kafka consumer error", metadata: [LoggingKeys.error: "\(error)"])
        }
    }

    /// Publishes the age of the oldest unfinished request and the least slack before any unfinished deadline.
    private func updateAgeMetrics() {
        let (oldest, earliestDeadline, inFlight) = flow.withLock { state in
            (state.readAt.values.min(), state.deadlines.values.min(), state.ledger.inFlightCount)
        }
        metrics.requestsInFlight(inFlight)
        let age = oldest.map { (ContinuousClock.now - $0).seconds } ?? 0
        let slack = earliestDeadline.map {
            Double($0.millisecondsSinceEpoch - Timestamp.now().millisecondsSinceEpoch) / 1000
        }
        metrics.oldestRequest(ageSeconds: age, deadlineSlackSeconds: slack)
    }

    private func updateQuotaShare() async {
        let assignment = consumer.assignment.map { ($0.topic, $0.partition) }
        for attempt in 1...5 {
            do {
                try await shareTracker.assigned(assignment) { topic in
                    do {
                        return try await consumer.partitionCount(topic: topic)
                    } catch let error where topic == topics.retries {
                        // Requests still flow; only work for a vendor that stays down waits, unstored, until the
                        // topic exists.
                        logger.error(
                            "The retry topic is not available; create it with the request topic's partition count",
                            metadata: [LoggingKeys.topic: "\(topics.retries)", LoggingKeys.error: "\(error)"]
                        )
                        throw error
                    }
                }
                break
            } catch {
                logger.warning(
                    "Partition count unavailable; quota share not updated",
                    metadata: [LoggingKeys.error: "\(error)", "attempt": "\(attempt)"]
                )
            }
        }
        for lane in lanes { await lane.quotaShareChanged() }
    }

    /// At the in-flight limit, stops taking messages. Polling stops for up to `pipeline.pause_after_ms` while work
    /// finishes (librdkafka holds at most its bounded prefetch meanwhile); if there is still no room then, the
    /// partitions are paused and polling resumes, so that rebalances are served and the member stays in the group.
    /// Pausing is kept for lasting stalls because librdkafka 2.0.2 takes up to a second to fetch again after a
    /// resume. Returns true when it waited or paused, so the caller looks again before polling for messages.
    private func waitedForRoom() async -> Bool {
        guard inFlight >= pipeline.maxInFlight, !flow.withLock({ $0.paused }) else { return false }
        let resumeBelow = pipeline.resumeBelow
        let hasRoom: @Sendable () -> Bool = { self.inFlight < resumeBelow }
        if await room.wait(timeout: .milliseconds(pipeline.pauseAfterMilliseconds), hasRoom: hasRoom) { return true }
        flow.withLock { state in
            guard !state.paused, state.ledger.inFlightCount >= pipeline.resumeBelow else { return }
            state.paused = true
            metrics.partitionsPaused(consumer.assignment.count)
            do { try consumer.pauseAll() } catch {
                logger.warning("Pause failed", metadata: [LoggingKeys.error: "\(error)"])
            }
            logger.debug(
                "In-flight limit reached; partitions paused",
                metadata: [LoggingKeys.inFlight: "\(state.ledger.inFlightCount)"]
            )
        }
        return true
    }

    /// Holds a parked message until `notBefore`. Its partition stops fetching meanwhile, so that the messages
    /// behind it, parked later, stay in Kafka rather than in memory.
    private func hold(_ message: KafkaMessage, ticket: OffsetLedger<TopicPartition>.Ticket, until notBefore: Timestamp)
    {
        logger.debug(
            "Parked request read before its time; holding its partition",
            metadata: [
                LoggingKeys.partition: "\(ticket.partition.partition)", LoggingKeys.offset: "\(ticket.offset)",
                "not_before": "\(notBefore.rfc3339)",
            ]
        )
        flow.withLock { state in
            state.waiting[ticket] = WaitingMessage(message: message, notBefore: notBefore)
            do { try consumer.hold(ticket.partition) } catch {
                logger.warning("Holding a retry partition failed", metadata: [LoggingKeys.error: "\(error)"])
            }
        }
    }

    /// The waiting messages whose time has come, oldest offset first; their partitions fetch again once none of
    /// their messages waits.
    private func takeDueMessages() -> [(KafkaMessage, OffsetLedger<TopicPartition>.Ticket)] {
        flow.withLock { state in
            guard !state.waiting.isEmpty else { return [] }
            let now = Timestamp.now()
            let due = state.waiting.filter { $0.value.notBefore <= now }.sorted { $0.key.offset < $1.key.offset }
            guard !due.isEmpty else { return [] }
            for (ticket, _) in due { state.waiting[ticket] = nil }
            let stillWaiting = Set(state.waiting.keys.map(\.partition))
            for partition in Set(due.map(\.key.partition)).subtracting(stillWaiting) {
                do { try consumer.release(partition) } catch {
                    logger.warning("Releasing a retry partition failed", metadata: [LoggingKeys.error: "\(error)"])
                }
            }
            return due.map { ($0.value.message, $0.key) }
        }
    }

    /// Tracks a message.
    private func admit(_ message: KafkaMessage) -> OffsetLedger<TopicPartition>.Ticket? {
        metrics.requestConsumed()
        return flow.withLock { state in
            let ticket = state.ledger.track(partition: message.topicPartition, offset: message.offset)
            if let ticket { state.readAt[ticket] = .now }
            metrics.requestsInFlight(state.ledger.inFlightCount)
            return ticket
        }
    }

    private func complete(_ ticket: OffsetLedger<TopicPartition>.Ticket) {
        let hasRoom = flow.withLock { state in
            state.readAt[ticket] = nil
            state.deadlines[ticket] = nil
            if let offset = state.ledger.complete(ticket) {
                do {
                    try consumer.storeOffsets([ticket.partition: offset])
                    commits?.stored(ticket.partition, offset: offset)
                } catch {
                    // The partition was revoked meanwhile; its new owner reads the message again.
                    logger.debug("Offset not stored", metadata: [LoggingKeys.error: "\(error)"])
                }
            }
            if state.paused, !state.draining, state.ledger.inFlightCount < pipeline.resumeBelow {
                state.paused = false
                metrics.partitionsPaused(0)
                do { try consumer.resumeAll() } catch {
                    logger.warning("Resume failed", metadata: [LoggingKeys.error: "\(error)"])
                }
            }
            return state.ledger.inFlightCount < pipeline.resumeBelow
        }
        // Outside the flow lock: the waiting side checks the in-flight count while holding the signal's lock.
        if hasRoom { room.signal() }
    }

    private func process(_ message: KafkaMessage, ticket: OffsetLedger<TopicPartition>.Ticket) async {
        var logger = logger
        logger[metadataKey: LoggingKeys.partition] = "\(message.topicPartition.partition)"
        logger[metadataKey: LoggingKeys.offset] = "\(message.offset)"
        if message.topicPartition.topic != topics.requests {
            logger[metadataKey: LoggingKeys.topic] = "\(message.topicPartition.topic)"
        }
        let read = Outcome.Source(
            topic: message.topicPartition.topic,
            partition: message.topicPartition.partition,
            offset: message.offset
        )
        let decoded = decoder.decode(message.value)
        let progress: RequestProgress
        do throws(RequestRejection) {
            // Progress is taken only from the retry topic, and only when erasure-relay's own key signed it.
            let fromRetryTopic = message.topicPartition.topic == topics.retries
            if fromRetryTopic, !signer.isValid(value: message.value, headers: message.headers) {
                throw RequestRejection(
                    code: .invalidSignature,
                    field: RecordSigner.header,
                    message: "is missing or does not match the record; its progress is not trusted"
                )
            }
            let carried = fromRetryTopic ? try RequestProgress(headers: message.headers) : nil
            progress = carried ?? RequestProgress(receivedAt: .now(), source: read)
        } catch {
            let salvage =
                switch decoded {
                case .success(let request):
                    RequestDecoder.Salvage(requestID: request.requestID, regulation: request.regulation)
                case .failure(let rejected): rejected.salvage
                }
            await reject(
                message,
                ticket: ticket,
                rejection: error,
                salvage: salvage,
                progress: RequestProgress(receivedAt: .now(), source: read),
                logger: logger
            )
            return
        }
        switch decoded {
        case .failure(let rejected):
            await reject(
                message,
                ticket: ticket,
                rejection: rejected.rejection,
                salvage: rejected.salvage,
                progress: progress,
                logger: logger
            )
        case .success(let request):
            logger[metadataKey: LoggingKeys.requestID] = "\(request.requestID)"
            await erase(request, message: message, ticket: ticket, progress: progress, logger: logger)
        }
    }

    private func reject(
        _ message: KafkaMessage,
        ticket: OffsetLedger<TopicPartition>.Ticket,
        rejection: RequestRejection,
        salvage: RequestDecoder.Salvage,
        progress: RequestProgress,
        vendors: [VendorResult] = [],
        logger: Logger
    ) async {
        var logger = logger
        if let requestID = salvage.requestID { logger[metadataKey: LoggingKeys.requestID] = "\(requestID)" }
        logger.info(
            "Request rejected",
            metadata: [
                LoggingKeys.error: "\(rejection.code)", "field": "\(rejection.field ?? "-")",
            ]
        )
        let copied = await publish(
            topic: topics.deadLetters,
            key: message.key,
            value: message.value,
            headers: Self.upstreamHeaders(of: message)
                + Self.errorHeaders(code: rejection.code.rawValue, field: rejection.field, message: rejection.message)
                + RequestProgress.sourceHeaders(progress.source),
            logger: logger
        )
        guard copied else { return }
        metrics.deadLettered(code: rejection.code.rawValue)
        await publishOutcome(
            Outcome(
                requestID: salvage.requestID,
                status: .rejected,
                regulation: salvage.regulation,
                receivedAt: progress.receivedAt,
                completedAt: .now(),
                deadline: nil,
                vendors: vendors,
                error: Outcome.Rejection(rejection),
                source: progress.source
            ),
            ticket: ticket,
            logger: logger
        )
    }

    /// Calls the vendors still owed an erasure, then completes the request, parks what may still succeed, or fails
    /// it with a dead-letter record.
    private func erase(
        _ request: ErasureRequest,
        message: KafkaMessage,
        ticket: OffsetLedger<TopicPartition>.Ticket,
        progress: RequestProgress,
        logger: Logger
    ) async {
        flow.withLock { $0.deadlines[ticket] = request.deadline }
        guard let latest = await processor.process(request, vendors: progress.pendingVendors) else { return }
        if progress.results.isEmpty, latest.allSatisfy({ $0.status == .skipped }) {
            // Not one vendor could act: reporting this `completed` would certify an erasure that never happened.
            let targets = latest.map(\.vendor.rawValue).joined(separator: ", ")
            await reject(
                message,
                ticket: ticket,
                rejection: RequestRejection(
                    code: .noRoutableIdentifier,
                    field: "subject",
                    message: latest.isEmpty
                        ? "no vendor is targeted"
                        : "holds no identifier that any of the request's vendors takes (\(targets))"
                ),
                salvage: .init(requestID: request.requestID, regulation: request.regulation),
                progress: progress,
                vendors: latest,
                logger: logger
            )
            return
        }
        let results = progress.merging(latest)
        let key = Array(request.requestID.utf8)
        let outcome = { (status: Outcome.Status) in
            Outcome(
                requestID: request.requestID,
                status: status,
                regulation: request.regulation,
                receivedAt: progress.receivedAt,
                completedAt: .now(),
                deadline: request.deadline,
                vendors: results,
                error: nil,
                source: progress.source
            )
        }
        switch parking.decide(results: results, parks: progress.parks, deadline: request.deadline, now: .now()) {
        case .completed:
            await publishOutcome(outcome(.completed), ticket: ticket, logger: logger)
        case .park(let vendors, let notBefore):
            var parked = progress
            parked.parks += 1
            parked.notBefore = notBefore
            parked.pendingVendors = vendors
            parked.results = results
            let written = await publish(
                topic: topics.retries,
                key: key,
                value: message.value,
                headers: signer.signing(
                    value: message.value,
                    headers: Self.upstreamHeaders(of: message) + parked.headers
                ),
                logger: logger
            )
            guard written else { return }
            metrics.requestParked(vendors: vendors)
            logger.info(
                "Vendors still failing; request parked",
                metadata: [
                    "vendors": "\(vendors.map(\.rawValue).joined(separator: ","))",
                    "parks": "\(parked.parks)", "not_before": "\(notBefore.rfc3339)",
                ]
            )
            complete(ticket)
        case .failed(let failure, let vendors):
            var record = progress
            record.notBefore = nil
            record.pendingVendors = vendors
            record.results = results
            let written = await publish(
                topic: topics.deadLetters,
                key: key,
                value: message.value,
                headers: signer.signing(
                    value: message.value,
                    headers: Self.upstreamHeaders(of: message) + record.headers
                        + Self.errorHeaders(code: failure.rawValue, field: nil, message: failure.message)
                ),
                logger: logger
            )
            guard written else { return }
            metrics.deadLettered(code: failure.rawValue)
            await publishOutcome(outcome(.failed), ticket: ticket, logger: logger)
        }
    }

    /// Publishes `outcome` and, once the broker acknowledged it, marks the request done.
    private func publishOutcome(_ outcome: Outcome, ticket: OffsetLedger<TopicPartition>.Ticket, logger: Logger) async {
        let publishStarted = ContinuousClock.now
        let published = await publish(
            topic: topics.outcomes,
            key: outcome.requestID.map { Array($0.utf8) },
            value: outcome.jsonBytes(),
            headers: [],
            logger: logger
        )
        guard published else { return }
        metrics.outcomeAcknowledged(after: .now - publishStarted)
        metrics.outcomePublished(outcome.status)
        for result in outcome.vendors { metrics.vendorResult(result) }
        logger.info(
            "Outcome published",
            metadata: [
                LoggingKeys.status: "\(outcome.status.rawValue)",
                "vendors":
                    "\(outcome.vendors.map { "\($0.vendor.rawValue)=\($0.status.rawValue)" }.joined(separator: ","))",
            ]
        )
        observer?(outcome)
        complete(ticket)
    }

    /// Publishes until the broker acknowledges. Returns false only when the task is cancelled (drain timeout), in
    /// which case the request stays unstored and is read again.
    private func publish(
        topic: String,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader],
        logger: Logger
    ) async
        -> Bool
    {
        var attempt = 0
        while !Task.isCancelled {
            do {
                try await producer.send(topic: topic, key: key, value: value, headers: headers)
                return true
            } catch {
                attempt += 1
                metrics.publishRetried(topic: topic)
                logger.warning(
                    "Publishing failed; retrying",
                    metadata: [LoggingKeys.topic: "\(topic)", LoggingKeys.error: "\(error)", "attempt": "\(attempt)"]
                )
                let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10))
                var random = SystemRandomNumberGenerator()
                try? await Task.sleep(for: backoff.delay(afterAttempt: attempt, using: &random))
            }
        }
        return false
    }

    /// A message's own headers, without those erasure-relay wrote on an earlier pass.
    static func upstreamHeaders(of message: KafkaMessage) -> [KafkaHeader] {
        message.headers.filter { !$0.name.hasPrefix("erasure-relay-") }
    }

    static func errorHeaders(code: String, field: String?, message: String) -> [KafkaHeader] {
        [
            KafkaHeader(name: DeadLetterHeader.errorCode, value: code),
            KafkaHeader(name: DeadLetterHeader.errorField, value: field ?? ""),
            KafkaHeader(name: DeadLetterHeader.errorMessage, value: message),
        ]
    }
}

/// The headers that say why a dead-letter record was written.
public enum DeadLetterHeader {
    /// A ``RequestRejection/Code`` for a rejected message, a ``ParkingPolicy/Failure`` for a failed request.
    public static let errorCode = "erasure-relay-error-code"
    /// The field at fault in a rejected message; empty otherwise.
    public static let errorField = "erasure-relay-error-field"
    /// What went wrong, in words, with no identifier in it.
    public static let errorMessage = "erasure-relay-error-message"
}

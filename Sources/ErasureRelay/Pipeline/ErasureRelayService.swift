import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// The consumer loop: reads requests, hands each to its request handler, and stores a message's offset only once its
/// outcome (or parked record) is acknowledged and every earlier message of its partition is done.
///
/// What is in flight, held, paused or committable is decided by the ``Intake`` state machine; this service carries out
/// its actions against librdkafka, outside any lock. Pausing, resuming, holding and releasing happen on the loop's
/// task alone.
public final class ErasureRelayService: Service {
    private let consumer: KafkaConsumer
    private let topics: Topics
    private let pipeline: RelayConfiguration.Pipeline
    private let signer: RecordSigner
    private let lanes: [VendorLane]
    private let handler: RequestHandler
    private let logger: Logger
    private let intake: Mutex<Intake>
    private let offsets: OffsetStore
    private let fetching: FetchControl
    private let room = RoomSignal()
    private let work = RevocableWork()
    private let shareHeld = Mutex(false)
    private let lineage = Mutex(FollowUpLineage(capacity: ErasureRelayService.rememberedFollowUps))
    private let shares: QuotaShareRefresher
    private let health: RelayHealth
    private let metrics: RelayMetrics

    /// - Parameters:
    ///   - consumer: subscribed to the request and retry topics by ``run()``; its offsets are stored by this service.
    ///   - handler: what becomes of each message, built with the topics, lanes, signer and publisher it uses.
    ///   - lanes: one per configured vendor, run by this service.
    ///   - pipeline: in-flight and held bounds, message size and drain timeout.
    ///   - parking: how parked work is retried and when it fails.
    ///   - shareTracker: this replica's share of each vendor quota, updated on every rebalance.
    ///   - commits: measures how long finished offsets take to be committed.
    ///   - health: updated as the consumer polls and joins the group, and on a fatal producer error.
    ///   - metrics: where the pipeline's metrics go.
    ///   - logger: the service's logger.
    init(
        consumer: KafkaConsumer,
        handler: RequestHandler,
        lanes: [VendorLane],
        pipeline: RelayConfiguration.Pipeline,
        parking: RelayConfiguration.Parking,
        shareTracker: PartitionShareTracker,
        commits: CommitLatencyTracker?,
        health: RelayHealth,
        metrics: RelayMetrics,
        logger: Logger
    ) {
        let topics = handler.topics
        self.consumer = consumer
        self.topics = topics
        self.pipeline = pipeline
        self.signer = handler.signer
        self.lanes = lanes
        self.handler = handler
        self.intake = Mutex(
            Intake(
                limits: .init(pipeline: pipeline, parking: parking),
                heldTopics: handler.follower.followsJobs ? [topics.retries, topics.jobs] : [topics.retries]
            )
        )
        self.shares = QuotaShareRefresher(
            consumer: consumer,
            tracker: shareTracker,
            ownTopics: [topics.retries: "retry topic"].merging(
                handler.follower.followsJobs ? [topics.jobs: "jobs topic"] : [:]
            ) { first, _ in first },
            logger: logger
        )
        self.offsets = OffsetStore(consumer: consumer, commits: commits, logger: logger)
        self.fetching = FetchControl(consumer: consumer, metrics: metrics, logger: logger)
        self.health = health
        self.metrics = metrics
        self.logger = logger
    }

    /// The most jobs-topic records whose follow-up is remembered, to skip a second record that continues one (see
    /// ``FollowUpLineage``): a few megabytes at most.
    static let rememberedFollowUps = 50_000

    /// What the service logs once it has first joined the consumer group, ready to read requests.
    public static let readyMessage = "Ready: in the consumer group, consuming erasure requests"

    /// Requests read and not yet done, held ones included.
    public var inFlight: Int { intake.withLock { $0.started + $0.heldCount } }

    public func run() async throws {
        // The jobs topic only when a vendor erases as jobs: a deployment without one need not create it.
        let followsJobs = handler.follower.followsJobs
        try consumer.subscribe(topics: [topics.requests, topics.retries] + (followsJobs ? [topics.jobs] : []))
        var subscribed: Logger.Metadata = [LoggingKeys.topic: "\(topics.requests)", "retry_topic": "\(topics.retries)"]
        if followsJobs { subscribed["jobs_topic"] = "\(topics.jobs)" }
        logger.info("Consuming erasure requests", metadata: subscribed)
        var failure: (any Error)?
        do {
            try await withThrowingDiscardingTaskGroup { laneRunners in
                for lane in lanes { laneRunners.addTask { await lane.run() } }
                defer { laneRunners.cancelAll() }
                try await consumeUntilShutdown()
            }
        } catch {
            // Only acknowledged work was stored, so leaving the group and committing is safe; the process then exits
            // non-zero, for the orchestrator to restart it with fresh clients.
            failure = error
            health.failed()
            logger.critical("Stopping on an unrecoverable Kafka error", metadata: [LoggingKeys.error: "\(error)"])
        }
        await consumer.commitStoredOffsetsBeforeLeaving(logger: logger)
        await consumer.close()
        logger.info("Stopped consuming erasure requests")
        if let failure { throw failure }
    }

    private func consumeUntilShutdown() async throws {
        let stopping = Mutex(false)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { requests in
                var lastGaugeUpdate = ContinuousClock.now
                // A request that throws (the producer's fatal error) cancels the group, not this loop: watch for it,
                // so that the error ends the service at once.
                while !stopping.withLock({ $0 }) && !Task.isCancelled && !requests.isCancelled {
                    apply(intake.withLock { $0.tick(now: .now) }, requests: &requests)
                    let (isFull, pausesAt, room) = intake.withLock { ($0.isFull, $0.pausesAt, $0.room) }
                    if isFull, let pausesAt {
                        // Reading stops; a brief saturation ends before the pause librdkafka is slow to undo.
                        _ = await self.room.wait(timeout: pausesAt - .now) { self.intake.withLock(\.hasRoom) }
                        continue
                    }
                    let events = await consumer.poll(timeout: .milliseconds(100), maxEvents: min(256, max(1, room)))
                    health.polled()
                    for event in events { try await handle(event, requests: &requests) }
                    await confirmMembership()
                    if ContinuousClock.now - lastGaugeUpdate >= .seconds(1) {
                        updateAgeMetrics()
                        lastGaugeUpdate = .now
                    }
                }
                guard !requests.isCancelled else { return }
                try await drain(requests: &requests)
            }
        } onGracefulShutdown: {
            stopping.withLock { $0 = true }
        }
    }

    /// Stops fetching, gives started requests the drain timeout to finish, and abandons the rest unstored, to be read
    /// again after a restart. Held messages are left unstored too.
    private func drain(requests: inout ThrowingDiscardingTaskGroup<any Error>) async throws {
        health.stopping()
        apply(intake.withLock { $0.drain() }, requests: &requests)
        for lane in lanes { await lane.flush() }
        let deadline = ContinuousClock.now.advanced(by: .seconds(pipeline.drainTimeoutSeconds))
        let started: @Sendable () -> Int = { self.intake.withLock(\.started) }
        logger.info("Draining in-flight requests", metadata: [LoggingKeys.inFlight: "\(started())"])
        // Polling goes on while draining: it serves rebalances and keeps this member in the group.
        while started() > 0 && ContinuousClock.now < deadline && !Task.isCancelled {
            for event in await consumer.poll(timeout: .milliseconds(50)) {
                try await handle(event, requests: &requests)
            }
            health.polled()
            await confirmMembership()
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
        requests: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws {
        switch event {
        case .message(let message):
            metrics.requestConsumed()
            let topic = message.topicPartition.topic
            let job =
                topic == topics.jobs && handler.follower.followsJobs
                ? JobRecord.verifying(message, signer: signer) : nil
            var continuedAt: Int64?
            if case .success(let followUp)? = job {
                // Claimed in the order the partition is read, so that the first of two siblings goes on.
                continuedAt = lineage.withLock {
                    $0.claim(followUp.lineage, at: message.offset, in: message.topicPartition)
                }
            }
            let record = ConsumedRecord(
                message,
                retry: topic == topics.retries ? RetryRecord.verifying(message, signer: signer) : nil,
                job: job,
                continuedAt: continuedAt
            )
            let actions = intake.withLock { $0.read(record, holdUntil: holdUntil(record), now: .now) }
            apply(actions, requests: &requests)
        case .assigned(let partitions):
            if health.joinedGroup() {
                // The line to wait for: from here on, requests sent are read.
                logger.info("\(Self.readyMessage)", metadata: [LoggingKeys.topic: "\(topics.requests)"])
            }
            intake.withLock { $0.assigned(partitions) }
            lineage.withLock { $0.forget(partitions) }
            // A new assignment starts again from the committed offset, which may be below what was stored before.
            offsets.forget(partitions)
            metrics.partitionsAssigned(partitions)
            await shares.refresh()
            for lane in lanes { await lane.quotaShareChanged() }
            logger.info(
                "Partitions assigned",
                metadata: [LoggingKeys.partition: "\(partitions.sorted())", "quota_share": "\(shares.share)"]
            )
        case .revoked(let partitions, let lost):
            metrics.partitionsRevoked(partitions)
            for lane in lanes { await lane.quotaShareChanged() }
            let abandoned = intake.withLock { $0.revoked(partitions) }
            lineage.withLock { $0.forget(partitions) }
            // Their next owner reads them again; calling vendors for them here would spend the quota twice.
            work.revoke(abandoned)
            logger.log(
                level: lost ? .warning : .info,
                lost ? "Partitions lost; their requests' vendor work stopped" : "Partitions revoked",
                metadata: [
                    LoggingKeys.partition: "\(partitions.sorted())", "dropped_in_flight": "\(abandoned.count)",
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

    /// When a signed retry-topic or jobs-topic record that is not yet due becomes due, on the loop's clock.
    private func holdUntil(_ record: ConsumedRecord) -> ContinuousClock.Instant? {
        // A skipped record is done at once: holding it would only hold its partition.
        guard record.continuedAt == nil else { return nil }
        let notBefore: Timestamp
        switch (record.retry, record.job) {
        case (.success(let retry)?, _):
            guard let due = retry.progress?.notBefore else { return nil }
            notBefore = due
        case (_, .success(let followUp)?):
            guard let due = followUp.nextCheckAt else { return nil }
            notBefore = due
        default:
            return nil
        }
        let wait = notBefore.millisecondsSinceEpoch - Timestamp.now().millisecondsSinceEpoch
        return wait > 0 ? ContinuousClock.now.advanced(by: .milliseconds(wait)) : nil
    }

    /// Carries out the intake's decisions. Called on the loop's task only, except for stored offsets.
    private func apply(_ actions: [Intake.Action], requests: inout ThrowingDiscardingTaskGroup<any Error>) {
        for action in actions {
            switch action {
            case .start(let message, let ticket):
                requests.addTask { try await self.process(message, ticket: ticket) }
            case .fetch(let change):
                fetching.apply(change)
            }
        }
    }

    private func process(_ record: ConsumedRecord, ticket: Intake.Ticket) async throws {
        let message = record.message
        var logger = logger
        logger[metadataKey: LoggingKeys.partition] = "\(message.topicPartition.partition)"
        logger[metadataKey: LoggingKeys.offset] = "\(message.offset)"
        if message.topicPartition.topic != topics.requests {
            logger[metadataKey: LoggingKeys.topic] = "\(message.topicPartition.topic)"
        }
        let done = try await work.run(ticket) { [handler, logger] in
            try await handler.handle(record, logger: logger) { deadline in
                self.intake.withLock { $0.deadline(deadline, of: ticket) }
            }
        }
        guard done else { return }
        let (offset, hasRoom) = intake.withLock { ($0.finished(ticket), $0.hasRoom) }
        if let offset { offsets.store(ticket.partition, offset) }
        // Outside the intake's lock: the waiting loop checks for room while holding the signal's lock.
        if hasRoom { room.signal() }
    }

    /// Renews the quota share's lease after a poll whose events were handled, and wakes the lanes when a hold it
    /// placed on the share ends.
    private func confirmMembership() async {
        let share = shares.tracker.share
        if share.renew() {
            logger.warning(
                "The consumer loop did not run for longer than the session timeout; vendor calls wait until the group confirms this member's partitions"
            )
            shareHeld.withLock { $0 = true }
        } else if shareHeld.withLock({ $0 }), !share.isHeld() {
            shareHeld.withLock { $0 = false }
            for lane in lanes { await lane.quotaShareChanged() }
        }
    }

    /// Publishes the age of the oldest unfinished request and the least slack before any unfinished deadline.
    private func updateAgeMetrics() {
        let (oldest, inFlight) = intake.withLock { ($0.oldest, $0.started + $0.heldCount) }
        metrics.requestsInFlight(inFlight)
        let age = oldest.readAt.map { (ContinuousClock.now - $0).seconds } ?? 0
        let slack = oldest.deadline.map {
            Double($0.millisecondsSinceEpoch - Timestamp.now().millisecondsSinceEpoch) / 1000
        }
        metrics.oldestRequest(ageSeconds: age, deadlineSlackSeconds: slack)
    }
}

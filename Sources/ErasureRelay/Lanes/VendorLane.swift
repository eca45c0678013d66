import Logging
import Synchronization

/// One vendor's lane: its queue, batcher, rate limiter, concurrency cap and retries.
///
/// Requests hand their identifiers to ``erase(_:)-(ErasureRequest)`` and wait; ``run()`` forms batches from every waiting request,
/// spaces calls to the vendor's quota, keeps at most `max_concurrency` calls in flight, and retries what can be
/// retried. A slow or failing vendor only fills its own lane.
///
/// Every decision is made by the lane's state machine, `VendorLane.StateMachine`, a pure value tested with instants
/// its tests choose; it in turn asks `LaneQueue` to form batches, ``RateLimiter`` to space calls, `RetryBudget` to
/// decide between retrying, parking and giving up, `OutageBreaker` to stop calling a vendor that is down (letting one
/// request probe it), and `RequestTally` to turn each request's answers into its ``VendorResult``. The actor keeps
/// what a value cannot: the waiting callers, the task group its calls and timers run in, and the transport.
public actor VendorLane {
    public typealias Instant = ContinuousClock.Instant

    /// What the lane's loop handles, one at a time.
    private enum Event: Sendable {
        /// Something changed that may let calls start: a request arrived or left, the share or flush changed.
        case lookAgain
        case timerFired(Instant)
        case callFinished(
            StateMachine<Instant>.Call,
            sentAt: Instant,
            answer: Result<VendorResponse, VendorTransportError>
        )
    }

    public let vendor: VendorID
    private let adapter: any VendorAdapter
    private let settings: VendorSettings
    private let transport: any VendorTransport
    private let logger: Logger
    private let metrics: RelayMetrics
    private let quotaShare: QuotaShare?
    private var appliedShareVersion = -1
    private let clock = ContinuousClock()
    private var state: StateMachine<Instant>
    private var callers: [LaneRequestID: CheckedContinuation<VendorResult?, Never>] = [:]
    private let events: AsyncStream<Event>
    private let eventSource: AsyncStream<Event>.Continuation
    /// Whether a ``Event/lookAgain`` waits in the stream already: one is enough however many requests arrive.
    private var lookAgainPending = false
    /// Requests whose caller stopped waiting (its task was cancelled, as when its partition was revoked). Written
    /// from the cancellation handler, which cannot wait for the actor; the lane drops their work when it wakes.
    private let withdrawn = Mutex<Set<LaneRequestID>>([])

    /// - Parameters:
    ///   - adapter: builds the vendor's calls and reads its answers.
    ///   - settings: the lane's quota, batching, retries and concurrency.
    ///   - transport: sends the calls.
    ///   - logger: the lane's logger, tagged with the vendor.
    ///   - quotaShare: this replica's share of the vendor's quota; nil for the whole quota.
    ///   - metrics: where the lane's call, queue and limiter metrics go.
    public init(
        adapter: any VendorAdapter,
        settings: VendorSettings,
        transport: any VendorTransport,
        logger: Logger,
        quotaShare: QuotaShare? = nil,
        metrics: RelayMetrics = RelayMetrics()
    ) {
        self.quotaShare = quotaShare
        self.metrics = metrics
        self.vendor = adapter.vendor
        self.adapter = adapter
        self.settings = settings
        // One per lane: a credential the lane obtains, such as an OAuth 2.0 token, is shared by all its calls.
        self.transport = adapter.authorizing(transport)
        var logger = logger
        logger[metadataKey: LoggingKeys.vendor] = "\(adapter.vendor.rawValue)"
        self.logger = logger
        self.state = StateMachine(adapter: adapter, settings: settings, wallClock: .now())
        // Bounded by what is in flight: at most one look-again, one answer per call, and one timer per wake-up.
        (self.events, self.eventSource) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Erases what `request` holds for this vendor, as its adapter reads it, and waits for the vendor's answers.
    /// - Parameter request: a valid request that targets this vendor.
    /// - Returns: `skipped` when the request holds no identifier the vendor takes; nil if the lane was abandoned
    ///   before it finished.
    public nonisolated func erase(_ request: ErasureRequest) async -> VendorResult? {
        // Built outside the actor: a large request's items take time the lane's other requests need not wait for.
        await erase(adapter.items(for: request))
    }

    /// Erases `items`, all from one request, and waits for the vendor's answers.
    /// - Returns: the request's result for this vendor, or nil if the lane was abandoned before it finished.
    public func erase(_ items: [VendorItem]) async -> VendorResult? {
        switch state.enqueue(items, now: now()) {
        case .ended(let result):
            return result
        case .queued(let request):
            return await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    callers[request] = continuation
                    lookAgain()
                }
            } onCancel: {
                self.withdrawn.withLock { _ = $0.insert(request) }
                self.eventSource.yield(.lookAgain)
            }
        }
    }

    /// Whether the vendor takes erasures as jobs whose state ``checkJob(_:)`` asks for.
    public nonisolated var followsJobs: Bool { adapter.followsJobs }

    /// Asks for the state of the job `jobID`, through the lane's quota, retries and check of what each call carries.
    /// - Returns: `accepted` with ``VendorResult/jobState`` when the vendor named the job's state, `failed` when the
    ///   check failed, or nil if the lane was abandoned before it finished.
    public func checkJob(_ jobID: String) async -> VendorResult? {
        guard let item = adapter.jobStatusItem(for: jobID) else {
            return VendorResult(vendor: vendor, status: .failed, error: "the job's id cannot be sent")
        }
        return await erase([item])
    }

    /// Identifiers waiting in the lane, sent or not yet sent, whose calls have not started.
    public var waitingItems: Int { state.waitingItems }

    /// Looks at the quota share again, as after a rebalance.
    public func quotaShareChanged() {
        lookAgain()
    }

    /// Sends waiting batches without waiting for them to fill, as at shutdown.
    public func flush() {
        state.flush()
        lookAgain()
    }

    /// Gives up on every waiting request: each waiting erasure returns nil.
    public func abandonAll() {
        state.abandonAll()
        let abandoned = callers
        callers.removeAll()
        for caller in abandoned.values { caller.resume(returning: nil) }
    }

    /// Schedules calls until the task is cancelled; then waits for calls in flight and abandons what is left.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await event in events {
                if Task.isCancelled { break }
                switch event {
                case .lookAgain:
                    lookAgainPending = false
                case .timerFired(let instant):
                    state.timerFired(at: instant)
                case .callFinished(let call, let sentAt, let answer):
                    carryOut(state.callFinished(call, sentAt: sentAt, answer: answer, now: now()), in: &group)
                }
                let cancelled = withdrawn.withLock { withdrawn in
                    defer { withdrawn.removeAll() }
                    return withdrawn
                }
                carryOut(state.withdraw(cancelled), in: &group)
                if let (share, version) = quotaShare?.versioned(), version != appliedShareVersion {
                    state.shareChanged(to: share, now: now())
                    appliedShareVersion = version
                }
                carryOut(state.dispatch(now: now()), in: &group)
            }
            group.cancelAll()
        }
        abandonAll()
    }

    private func now() -> StateMachine<Instant>.Now {
        StateMachine.Now(instant: clock.now, wallClock: .now())
    }

    private func lookAgain() {
        guard !lookAgainPending else { return }
        lookAgainPending = true
        eventSource.yield(.lookAgain)
    }

    /// Does what the state machine decided: the one place the lane's actions take effect.
    private func carryOut(_ actions: [StateMachine<Instant>.Action], in group: inout DiscardingTaskGroup) {
        for action in actions {
            switch action {
            case .startCall(let call):
                group.addTask { [transport, settings, eventSource] in
                    let sentAt = ContinuousClock.now
                    let answer: Result<VendorResponse, VendorTransportError>
                    do {
                        let timeout = Duration.seconds(settings.timeoutSeconds)
                        answer = .success(
                            try await transport.send(call.request, baseURL: settings.baseURL, timeout: timeout)
                        )
                    } catch {
                        answer = .failure(VendorTransportError(classifying: error))
                    }
                    eventSource.yield(.callFinished(call, sentAt: sentAt, answer: answer))
                }
            case .finish(let request, let result):
                callers.removeValue(forKey: request)?.resume(returning: result)
            case .wake(let instant):
                group.addTask { [clock, eventSource] in
                    try? await Task.sleep(until: instant, clock: clock)
                    eventSource.yield(.timerFired(instant))
                }
            case .record(let observation):
                record(observation)
            }
        }
    }

    private func record(_ observation: StateMachine<Instant>.Observation) {
        switch observation {
        case .queueLength(let items):
            metrics.laneQueue(vendor, items: items)
        case .callStarted(let batchSize, let laneWaits, let limiterWait):
            if let limiterWait { metrics.rateLimiterWait(vendor, duration: limiterWait) }
            metrics.batchSize(vendor, items: batchSize)
            for wait in laneWaits { metrics.laneWait(vendor, duration: wait) }
        case .callAnswered(let result, let status, let duration):
            metrics.vendorCall(vendor, result: result, status: status, duration: duration)
        case .retried(let count):
            metrics.vendorRetries(vendor, count: count)
        case .vendorAnsweringAgain:
            logger.info("Vendor answering again")
        case .paused(let retryAfterSeconds, let reason):
            logger.info(
                "Vendor asked to wait; lane paused",
                metadata: [LoggingKeys.retryAfterSeconds: "\(retryAfterSeconds)", LoggingKeys.reason: "\(reason)"]
            )
        case .splitting(let batchSize, let reason):
            logger.debug(
                "Vendor rejected a batch; splitting it",
                metadata: [LoggingKeys.batchSize: "\(batchSize)", LoggingKeys.reason: "\(reason)"]
            )
        case .callWouldNotCarry(let identifiers):
            logger.error(
                "A call would not carry every identifier it reports; those identifiers are failed, not sent",
                metadata: [LoggingKeys.batchSize: "\(identifiers)"]
            )
        case .parked(let identifiers, let reason):
            logger.warning(
                "Vendor not callable for longer than the retry budget; its waiting work is parked",
                metadata: [LoggingKeys.reason: "\(reason)", "parked_identifiers": "\(identifiers)"]
            )
        }
    }
}

import Logging
import Synchronization

/// One vendor's lane: its queue, batcher, rate limiter, concurrency cap and retries.
///
/// Requests hand their identifiers to ``erase(_:)-(ErasureRequest)`` and wait; ``run()`` forms batches from every waiting request,
/// spaces calls to the vendor's quota, keeps at most `max_concurrency` calls in flight, and retries what can be
/// retried. A slow or failing vendor only fills its own lane.
///
/// The lane keeps the scheduling and the actor's state; each decision is a pure value beside it, tested on its own:
/// `LaneQueue` forms batches, ``RateLimiter`` spaces calls, `RetryBudget` decides between retrying, parking and
/// giving up, `OutageBreaker` stops calling a vendor that is down (letting one request probe it), and
/// `RequestTally` turns each request's answers into its ``VendorResult``.
public actor VendorLane {
    public typealias Instant = ContinuousClock.Instant

    /// A request waiting for its identifiers' answers.
    private struct Waiting {
        var tally: RequestTally
        let continuation: CheckedContinuation<VendorResult?, Never>
    }

    public let vendor: VendorID
    private let adapter: any VendorAdapter
    private let settings: VendorSettings
    private let transport: any VendorTransport
    private let logger: Logger
    private let clock = ContinuousClock()
    private var limiter: RateLimiter<Instant>
    private let retryBudget: RetryBudget
    private var random = SystemRandomNumberGenerator()

    private var queue = LaneQueue()
    private let limits: LaneQueue.Limits
    private var waiting: [LaneRequestID: Waiting] = [:]
    private var nextRequest = 0
    private var callsInFlight = 0
    private var pausedUntil: Instant?
    private var timerAt: Instant?
    private var flushWithoutLinger = false
    private var lastCallStarted: Instant?
    /// When the lane was last found idle: what was queued by then leaves without lingering.
    private var idleSince: Instant?
    private let wakeups: AsyncStream<Void>
    private let wakeupSource: AsyncStream<Void>.Continuation
    /// Requests whose caller stopped waiting (its task was cancelled, as when its partition was revoked). Written
    /// from the cancellation handler, which cannot wait for the actor; the lane drops their work when it wakes.
    private let withdrawn = Mutex<Set<LaneRequestID>>([])

    private let quotaShare: QuotaShare?
    private var appliedShareVersion = -1
    private let metrics: RelayMetrics
    private var limiterBlockedSince: Instant?
    private var breaker = OutageBreaker()

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
        self.transport = transport
        var logger = logger
        logger[metadataKey: LoggingKeys.vendor] = "\(adapter.vendor.rawValue)"
        self.logger = logger
        self.limiter = RateLimiter(
            requests: settings.rateLimit.requests,
            window: .seconds(settings.rateLimit.windowSeconds),
            reserve: settings.rateLimit.reserve,
            otherLimits: settings.rateLimits.dropFirst().map {
                (requests: $0.requests, window: .seconds($0.windowSeconds), reserve: $0.reserve)
            }
        )
        self.retryBudget = RetryBudget(settings.retry)
        (self.wakeups, self.wakeupSource) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.limits = LaneQueue.Limits(
            maxItems: adapter.maxItemsPerCall,
            maxBodyBytes: adapter.maxBodyBytes,
            emptyBodyBytes: adapter.bodySize(of: [], now: .now()),
            linger: .milliseconds(settings.batching.lingerMilliseconds)
        )
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
        guard !items.isEmpty else { return VendorResult(vendor: vendor, status: .skipped) }
        let now = clock.now
        let request = LaneRequestID(value: nextRequest)
        nextRequest += 1
        let identifiers = items.reduce(0) { $0 + $1.identifierCount }
        let notCalled = { (error: String, notBefore: Timestamp?) in
            VendorResult(
                vendor: self.vendor,
                status: .failed,
                identifiers: identifiers,
                error: error,
                retriesExhausted: true,
                notBefore: notBefore
            )
        }
        if let pausedUntil, let waitEnds = longWaitEnd(pausedUntil, now: now) {
            return notCalled("vendor asked to wait until \(waitEnds.rfc3339); not called", waitEnds)
        }
        if case .refuse(let reason) = breaker.admit(request) {
            return notCalled("vendor unavailable (\(reason)); not called", nil)
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiting[request] = Waiting(
                    tally: RequestTally(items: items.count, identifiers: identifiers),
                    continuation: continuation
                )
                for item in items {
                    queue.enqueue(LaneItem(request: request, item: item, enqueuedAt: now, notBefore: now))
                }
                wakeupSource.yield()
            }
        } onCancel: {
            self.withdrawn.withLock { _ = $0.insert(request) }
            self.wakeupSource.yield()
        }
    }

    /// Identifiers waiting in the lane, sent or not yet sent, whose calls have not started.
    public var waitingItems: Int { queue.count }

    /// Looks at the quota share again, as after a rebalance.
    public func quotaShareChanged() {
        wakeupSource.yield()
    }

    /// Sends waiting batches without waiting for them to fill, as at shutdown.
    public func flush() {
        flushWithoutLinger = true
        wakeupSource.yield()
    }

    /// Gives up on every waiting request: each waiting erasure returns nil.
    public func abandonAll() {
        _ = queue.removeAll()
        let abandoned = waiting
        waiting.removeAll()
        for request in abandoned.values { request.continuation.resume(returning: nil) }
    }

    /// Schedules calls until the task is cancelled; then waits for calls in flight and abandons what is left.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await _ in wakeups {
                if Task.isCancelled { break }
                dropCancelledWork()
                if let wakeAt = dispatch(into: &group), timerAt.map({ wakeAt < $0 }) ?? true {
                    timerAt = wakeAt
                    group.addTask { [clock] in
                        try? await Task.sleep(until: wakeAt, clock: clock)
                        await self.timerFired(at: wakeAt)
                    }
                }
            }
            group.cancelAll()
        }
        abandonAll()
    }

    /// Forgets the work of requests whose callers stopped waiting: their identifiers are not sent, and no quota is
    /// spent on them. A call already under way for them finishes, and its answer is dropped.
    private func dropCancelledWork() {
        let cancelled = withdrawn.withLock { withdrawn in
            defer { withdrawn.removeAll() }
            return withdrawn
        }
        guard !cancelled.isEmpty else { return }
        queue.remove(requests: cancelled)
        metrics.laneQueue(vendor, items: queue.count)
        for request in cancelled {
            breaker.requestEnded(request)
            waiting.removeValue(forKey: request)?.continuation.resume(returning: nil)
        }
    }

    private func timerFired(at instant: Instant) {
        if timerAt == instant { timerAt = nil }
        wakeupSource.yield()
    }

    /// Starts every call that may start now. Returns when to look again, if something is waiting for time to pass.
    private func dispatch(into group: inout DiscardingTaskGroup) -> Instant? {
        // Lingering pays only under load. A lane with no call in flight and none started within the linger time is
        // far below its quota: what is queued leaves without lingering, each kind in a call of its own, however the
        // rate limiter spaces those calls. Under a steady stream calls start more often than that, and batches fill
        // as the linger lets them; at most one round of calls per linger time leaves unfilled.
        let lookedAt = clock.now
        if callsInFlight == 0, lastCallStarted.map({ lookedAt - $0 >= limits.linger }) ?? true,
            !settings.batching.lingerWhenIdle
        {
            idleSince = lookedAt
        }
        while callsInFlight < settings.maxConcurrency {
            let now = clock.now
            if let pausedUntil, pausedUntil > now { return pausedUntil }
            switch queue.next(now: now, limits: limits, flush: flushWithoutLinger, unlingeredThrough: idleSince) {
            case .idle:
                return nil
            case .waitUntil(let instant):
                return instant
            case .send(let batch, let wasIsolated):
                applyQuotaShare()
                guard let permitted = limiter.permittedAt(now: now) else {
                    queue.putBack(batch, isolated: wasIsolated)
                    return nil
                }
                guard permitted <= now else {
                    queue.putBack(batch, isolated: wasIsolated)
                    limiterBlockedSince = limiterBlockedSince ?? now
                    return permitted
                }
                guard let (call, sent) = callCarryingEveryIdentifier(batch) else { continue }
                limiter.take(now: now)
                if let blockedSince = limiterBlockedSince {
                    metrics.rateLimiterWait(vendor, duration: now - blockedSince)
                    limiterBlockedSince = nil
                }
                metrics.batchSize(vendor, items: sent.count)
                for item in sent where item.attempts == 0 { metrics.laneWait(vendor, duration: now - item.enqueuedAt) }
                metrics.laneQueue(vendor, items: queue.count)
                callsInFlight += 1
                lastCallStarted = now
                group.addTask { [transport, settings] in
                    let started = ContinuousClock.now
                    let answer: Result<VendorResponse, VendorTransportError>
                    do {
                        let timeout = Duration.seconds(settings.timeoutSeconds)
                        answer = .success(try await transport.send(call, baseURL: settings.baseURL, timeout: timeout))
                    } catch {
                        answer = .failure(VendorTransportError(classifying: error))
                    }
                    await self.finished(sent, wasIsolated: wasIsolated, answer: answer, started: started)
                }
            }
        }
        return nil
    }

    /// The call for `batch`, read back before it is sent (``CallContents``): an item whose identifiers the call
    /// would not carry is failed, never reported erased, and the call is built again without it. This holds for
    /// every call of every adapter, built-in or declared, whatever its template does.
    /// - Returns: the call and the items it carries; nil when it would carry none of them.
    private func callCarryingEveryIdentifier(_ batch: [LaneItem]) -> (call: VendorCall, batch: [LaneItem])? {
        var batch = batch
        while !batch.isEmpty {
            let call = adapter.call(for: batch.map(\.item), now: .now())
            let contents = CallContents(call)
            var carried: [LaneItem] = []
            var left: [LaneItem] = []
            for item in batch {
                if contents.carries(item.item) { carried.append(item) } else { left.append(item) }
            }
            guard !left.isEmpty else { return (call, batch) }
            logger.error(
                "A call would not carry every identifier it reports; those identifiers are failed, not sent",
                metadata: [LoggingKeys.batchSize: "\(left.count)"]
            )
            for item in left {
                record(
                    item,
                    failure: "definition error: the call of vendor \(vendor.rawValue) does not carry an identifier "
                        + "it would report as erased; not sent"
                )
            }
            batch = carried
        }
        return nil
    }

    /// Follows this replica's share of the vendor's quota, which changes as replicas join and leave.
    private func applyQuotaShare() {
        guard let (share, version) = quotaShare?.versioned(), version != appliedShareVersion else { return }
        limiter.setShare(share, now: clock.now)
        appliedShareVersion = version
    }

    private func finished(
        _ batch: [LaneItem],
        wasIsolated: Bool,
        answer: Result<VendorResponse, VendorTransportError>,
        started: Instant
    ) {
        callsInFlight -= 1
        defer { wakeupSource.yield() }
        let now = clock.now
        var batch = batch
        for index in batch.indices {
            batch[index].attempts += 1
            batch[index].firstAttempt = batch[index].firstAttempt ?? started
        }
        let answered: CallResult
        let status: Int?
        switch answer {
        case .success(let response):
            status = response.status
            answered = adapter.classify(response)
        case .failure(let error):
            status = nil
            answered = .retriable(reason: error.description, retryAfter: nil)
        }
        let result = answered.sanitized(for: batch.map(\.item))
        metrics.vendorCall(vendor, result: result.metricLabel(status: status), status: status, duration: now - started)
        for index in batch.indices { batch[index].lastStatus = status ?? batch[index].lastStatus }
        let singleRequest = Set(batch.map(\.request)).count == 1
        if case .retriable = result {} else if breaker.vendorAnswered() { logger.info("Vendor answering again") }
        switch result {
        case .accepted(let reference, let deleted, let note):
            for item in batch {
                record(item, failure: nil, reference: reference, note: note, deleted: singleRequest ? deleted : nil)
            }
        case .rejected(let reason, let isolateItems) where isolateItems && batch.count > 1:
            logger.debug(
                "Vendor rejected a batch; splitting it",
                metadata: [LoggingKeys.batchSize: "\(batch.count)", LoggingKeys.reason: "\(reason)"]
            )
            let middle = batch.count / 2
            queue.isolate(Array(batch[..<middle]))
            queue.isolate(Array(batch[middle...]))
        case .rejected(let reason, _):
            for item in batch { record(item, failure: reason) }
        case .retriable(let reason, let retryAfter):
            let vendorWait = Duration.seconds(retryAfter ?? 0)
            if let retryAfter {
                // The quota belongs to the whole account: when the vendor says wait, the whole lane waits.
                let until = now.advanced(by: vendorWait)
                pausedUntil = max(pausedUntil ?? until, until)
                logger.info(
                    "Vendor asked to wait; lane paused",
                    metadata: [LoggingKeys.retryAfterSeconds: "\(retryAfter)", LoggingKeys.reason: "\(reason)"]
                )
            }
            var retried: [LaneItem] = []
            var exhausted = false
            let decisions = retryBudget.decide(
                batch: batch.map { ($0.attempts, $0.firstAttempt.map { now - $0 } ?? .zero) },
                vendorWait: vendorWait,
                using: &random
            )
            for (var item, decision) in zip(batch, decisions) {
                switch decision {
                case .exhausted:
                    record(
                        item,
                        failure: "retries exhausted after \(item.attempts) attempts: \(reason)",
                        retriable: true
                    )
                    exhausted = true
                case .park(let wait):
                    // Waiting in memory would outlast the retry budget: park the work until the vendor allows a
                    // call instead.
                    let waitEnds = Timestamp.now().adding(milliseconds: wait.milliseconds)
                    record(
                        item,
                        failure: "vendor asked to wait until \(waitEnds.rfc3339): \(reason)",
                        retriable: true,
                        notBefore: waitEnds
                    )
                case .retry(let wait):
                    item.notBefore = now.advanced(by: wait)
                    retried.append(item)
                }
            }
            if !retried.isEmpty {
                metrics.vendorRetries(vendor, count: retried.count)
                if wasIsolated {
                    queue.isolate(retried)
                } else {
                    for item in retried { queue.retry(item) }
                }
            }
            if let pausedUntil, let waitEnds = longWaitEnd(pausedUntil, now: now) {
                parkWaitingWork(
                    failure: "vendor asked to wait until \(waitEnds.rfc3339): \(reason)",
                    notBefore: waitEnds
                )
            } else if exhausted && breaker.retriesExhausted(reason: reason) {
                parkWaitingWork(failure: "vendor unavailable (\(reason)); retries stopped", notBefore: nil)
            }
        }
    }

    /// When the lane is paused for longer than its retry budget, the wall-clock time the pause ends: work that
    /// would wait that long is parked rather than held in memory.
    private func longWaitEnd(_ pausedUntil: Instant, now: Instant) -> Timestamp? {
        let wait = pausedUntil - now
        guard retryBudget.outlasts(wait) else { return nil }
        return Timestamp.now().adding(milliseconds: wait.milliseconds)
    }

    /// Fails every waiting identifier as retriable, so that its request is parked until `notBefore`.
    private func parkWaitingWork(failure: String, notBefore: Timestamp?) {
        let waiting = queue.removeAll()
        metrics.laneQueue(vendor, items: 0)
        guard !waiting.isEmpty else { return }
        logger.warning(
            "Vendor not callable for longer than the retry budget; its waiting work is parked",
            metadata: [LoggingKeys.reason: "\(failure)", "parked_identifiers": "\(waiting.count)"]
        )
        for item in waiting { record(item, failure: failure, retriable: true, notBefore: notBefore) }
    }

    private func record(
        _ item: LaneItem,
        failure: String?,
        retriable: Bool = false,
        reference: String? = nil,
        note: String? = nil,
        deleted: Int? = nil,
        notBefore: Timestamp? = nil
    ) {
        guard var request = waiting[item.request] else { return }
        request.tally.record(
            RequestTally.Ending(
                attempts: item.attempts,
                lastStatus: item.lastStatus,
                failure: failure,
                retriable: retriable,
                reference: reference,
                note: note,
                deleted: deleted,
                notBefore: notBefore
            )
        )
        guard request.tally.isComplete else {
            waiting[item.request] = request
            return
        }
        waiting[item.request] = nil
        breaker.requestEnded(item.request)
        request.continuation.resume(returning: request.tally.result(for: vendor))
    }
}

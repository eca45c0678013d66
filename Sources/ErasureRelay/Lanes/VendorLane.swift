import Logging
import Synchronization

/// One vendor's lane: its queue, batcher, rate limiter, concurrency cap and retries.
///
/// Requests hand their identifiers to ``erase(_:)`` and wait; ``run()`` forms batches from every waiting request,
/// spaces calls to the vendor's quota, keeps at most `max_concurrency` calls in flight, and retries what can be
/// retried. A slow or failing vendor only fills its own lane.
///
/// Once an identifier runs out of retries on errors that say the vendor is down, the lane treats the vendor as
/// unavailable: the work waiting in its queue, and every new request but one, fail at once as retriable, to be parked,
/// instead of each spending the whole retry budget on a vendor that does not answer. The one request let through
/// probes the vendor; the first real answer (an acceptance or a permanent refusal) makes the vendor available again.
public actor VendorLane {
    public typealias Instant = ContinuousClock.Instant

    private struct Outage {
        var reason: String
        /// The request probing the vendor, if one is under way.
        var probe: Int?
    }

    private struct Ticket {
        var remaining: Int
        var identifiers: Int
        var attempts = 0
        var lastStatus: Int?
        var references: [String] = []
        var notes: [String] = []
        var deleted: Int?
        var failure: String?
        var failureIsRetriable = false
        var notBefore: Timestamp?
        var continuation: CheckedContinuation<VendorResult?, Never>
    }

    public let vendor: VendorID
    private let adapter: any VendorAdapter
    private let settings: VendorSettings
    private let transport: any VendorTransport
    private let logger: Logger
    private let clock = ContinuousClock()
    private var limiter: RateLimiter<Instant>
    private let backoff: Backoff
    private var random = SystemRandomNumberGenerator()

    private var queue = LaneQueue()
    private let limits: LaneQueue.Limits
    private var tickets: [Int: Ticket] = [:]
    private var nextTicket = 0
    private var callsInFlight = 0
    private var pausedUntil: Instant?
    private var timerAt: Instant?
    private var flushWithoutLinger = false
    private let wakeups: AsyncStream<Void>
    private let wakeupSource: AsyncStream<Void>.Continuation
    /// Requests whose caller stopped waiting (its task was cancelled, as when its partition was revoked). Written
    /// from the cancellation handler, which cannot wait for the actor; the lane drops their work when it wakes.
    private let cancelledTickets = Mutex<Set<Int>>([])

    private let quotaShare: QuotaShare?
    private var appliedShareVersion = -1
    private let metrics: RelayMetrics
    private var limiterBlockedSince: Instant?
    private var outage: Outage?

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
            reserve: settings.rateLimit.reserve
        )
        self.backoff = Backoff(
            initial: .milliseconds(settings.retry.initialBackoffMilliseconds),
            maximum: .milliseconds(settings.retry.maxBackoffMilliseconds)
        )
        (self.wakeups, self.wakeupSource) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.limits = LaneQueue.Limits(
            maxItems: adapter.maxItemsPerCall,
            maxBodyBytes: adapter.maxBodyBytes,
            emptyBodyBytes: adapter.bodySize(of: [], now: .now()),
            linger: .milliseconds(settings.batching.lingerMilliseconds)
        )
    }

    /// Erases `items`, all from one request, and waits for the vendor's answers.
    /// - Returns: the request's result for this vendor, or nil if the lane was abandoned before it finished.
    public func erase(_ items: [VendorItem]) async -> VendorResult? {
        guard !items.isEmpty else { return VendorResult(vendor: vendor, status: .skipped) }
        let now = clock.now
        let ticketID = nextTicket
        nextTicket += 1
        if let pausedUntil, let waitEnds = longWaitEnd(pausedUntil, now: now) {
            return VendorResult(
                vendor: vendor,
                status: .failed,
                identifiers: items.reduce(0) { $0 + $1.identifierCount },
                error: "vendor asked to wait until \(waitEnds.rfc3339); not called",
                retriesExhausted: true,
                notBefore: waitEnds
            )
        }
        if let outage {
            guard outage.probe == nil else {
                return VendorResult(
                    vendor: vendor,
                    status: .failed,
                    identifiers: items.reduce(0) { $0 + $1.identifierCount },
                    error: "vendor unavailable (\(outage.reason)); not called",
                    retriesExhausted: true
                )
            }
            self.outage?.probe = ticketID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                tickets[ticketID] = Ticket(
                    remaining: items.count,
                    identifiers: items.reduce(0) { $0 + $1.identifierCount },
                    continuation: continuation
                )
                for item in items {
                    queue.enqueue(LaneItem(ticket: ticketID, item: item, enqueuedAt: now, notBefore: now))
                }
                wakeupSource.yield()
            }
        } onCancel: {
            self.cancelledTickets.withLock { _ = $0.insert(ticketID) }
            self.wakeupSource.yield()
        }
    }

    /// Looks at the quota share again, as after a rebalance.
    public func quotaShareChanged() {
        wakeupSource.yield()
    }

    /// Sends waiting batches without waiting for them to fill, as at shutdown.
    public func flush() {
        flushWithoutLinger = true
        wakeupSource.yield()
    }

    /// Gives up on every waiting request: each ``erase(_:)`` returns nil.
    public func abandonAll() {
        _ = queue.removeAll()
        let abandoned = tickets
        tickets.removeAll()
        for ticket in abandoned.values { ticket.continuation.resume(returning: nil) }
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
        let cancelled = cancelledTickets.withLock { cancelled in
            defer { cancelled.removeAll() }
            return cancelled
        }
        guard !cancelled.isEmpty else { return }
        queue.remove(tickets: cancelled)
        metrics.laneQueue(vendor, items: queue.count)
        for id in cancelled {
            if outage?.probe == id { outage?.probe = nil }
            tickets.removeValue(forKey: id)?.continuation.resume(returning: nil)
        }
    }

    private func timerFired(at instant: Instant) {
        if timerAt == instant { timerAt = nil }
        wakeupSource.yield()
    }

    /// Starts every call that may start now. Returns when to look again, if something is waiting for time to pass.
    private func dispatch(into group: inout DiscardingTaskGroup) -> Instant? {
        while callsInFlight < settings.maxConcurrency {
            let now = clock.now
            if let pausedUntil, pausedUntil > now { return pausedUntil }
            switch queue.next(now: now, limits: limits, flush: flushWithoutLinger) {
            case .idle:
                return nil
            case .waitUntil(let instant):
                return instant
            case .send(let batch, let wasIsolated):
                if let quotaShare, quotaShare.versioned.version != appliedShareVersion {
                    let (share, version) = quotaShare.versioned
                    limiter.setShare(share)
                    appliedShareVersion = version
                }
                guard let permitted = limiter.permittedAt(now: now) else {
                    queue.putBack(batch, isolated: wasIsolated)
                    return nil
                }
                guard permitted <= now else {
                    queue.putBack(batch, isolated: wasIsolated)
                    limiterBlockedSince = limiterBlockedSince ?? now
                    return permitted
                }
                limiter.take(now: now)
                if let blockedSince = limiterBlockedSince {
                    metrics.rateLimiterWait(vendor, duration: now - blockedSince)
                    limiterBlockedSince = nil
                }
                metrics.batchSize(vendor, items: batch.count)
                metrics.laneQueue(vendor, items: queue.count)
                callsInFlight += 1
                let call = adapter.call(for: batch.map(\.item), now: .now())
                group.addTask { [transport, settings] in
                    let started = ContinuousClock.now
                    let answer: Result<VendorResponse, any Error>
                    do {
                        answer = .success(
                            try await transport.send(
                                call,
                                baseURL: settings.baseURL,
                                timeout: .seconds(settings.timeoutSeconds)
                            )
                        )
                    } catch {
                        answer = .failure(error)
                    }
                    await self.finished(batch, wasIsolated: wasIsolated, answer: answer, started: started)
                }
            }
        }
        return nil
    }

    private func finished(
        _ batch: [LaneItem],
        wasIsolated: Bool,
        answer: Result<VendorResponse, any Error>,
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
            answered = .retriable(reason: Self.describe(error), retryAfter: nil)
        }
        let result = answered.sanitized(for: batch.map(\.item))
        let resultLabel =
            switch (result, status) {
            case (.accepted, _): "accepted"
            case (.rejected, _): "rejected"
            case (.retriable, nil): "transport_error"
            case (.retriable, _): "retriable"
            }
        metrics.vendorCall(vendor, result: resultLabel, status: status, duration: now - started)
        for index in batch.indices { batch[index].lastStatus = status ?? batch[index].lastStatus }
        let singleTicket = Set(batch.map(\.ticket)).count == 1
        if case .retriable = result {} else { vendorAnswered() }
        switch result {
        case .accepted(let reference, let deleted, let note):
            for item in batch {
                record(item, failure: nil, reference: reference, note: note, deleted: singleTicket ? deleted : nil)
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
            let budget = Duration.seconds(settings.retry.maxElapsedSeconds)
            for var item in batch {
                let elapsed = item.firstAttempt.map { now - $0 } ?? .zero
                if item.attempts >= settings.retry.maxAttempts || elapsed >= budget {
                    record(
                        item,
                        failure: "retries exhausted after \(item.attempts) attempts: \(reason)",
                        retriable: true
                    )
                    exhausted = true
                    continue
                }
                if elapsed + vendorWait > budget {
                    // Waiting in memory would outlast the retry budget: park the work until the vendor allows a
                    // call instead.
                    let waitEnds = Timestamp.now().adding(milliseconds: vendorWait.milliseconds)
                    record(
                        item,
                        failure: "vendor asked to wait until \(waitEnds.rfc3339): \(reason)",
                        retriable: true,
                        notBefore: waitEnds
                    )
                    continue
                }
                let wait = max(backoff.delay(afterAttempt: item.attempts, using: &random), vendorWait)
                item.notBefore = now.advanced(by: wait)
                retried.append(item)
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
            } else if exhausted && outage == nil {
                vendorUnavailable(reason: reason)
            }
        }
    }

    /// When the lane is paused for longer than its retry budget, the wall-clock time the pause ends: work that
    /// would wait that long is parked rather than held in memory.
    private func longWaitEnd(_ pausedUntil: Instant, now: Instant) -> Timestamp? {
        let wait = pausedUntil - now
        guard wait > .seconds(settings.retry.maxElapsedSeconds) else { return nil }
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

    private func vendorUnavailable(reason: String) {
        outage = Outage(reason: reason)
        parkWaitingWork(failure: "vendor unavailable (\(reason)); retries stopped", notBefore: nil)
    }

    private func vendorAnswered() {
        guard outage != nil else { return }
        outage = nil
        logger.info("Vendor answering again")
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
        guard var ticket = tickets[item.ticket] else { return }
        ticket.remaining -= 1
        ticket.attempts = max(ticket.attempts, item.attempts)
        ticket.lastStatus = item.lastStatus ?? ticket.lastStatus
        if let reference { Self.append(reference, to: &ticket.references, separator: ",") }
        if let note { Self.append(note, to: &ticket.notes, separator: "; ") }
        if let deleted { ticket.deleted = min((ticket.deleted ?? 0) + deleted, CallResult.maxDeletedCount) }
        if let notBefore { ticket.notBefore = max(ticket.notBefore ?? notBefore, notBefore) }
        if let failure, ticket.failure == nil || (ticket.failureIsRetriable && !retriable) {
            // A permanent failure outweighs a retriable one: trying again cannot complete the request.
            ticket.failure = failure
            ticket.failureIsRetriable = retriable
        }
        guard ticket.remaining == 0 else {
            tickets[item.ticket] = ticket
            return
        }
        tickets[item.ticket] = nil
        if outage?.probe == item.ticket { outage?.probe = nil }
        ticket.continuation.resume(
            returning: VendorResult(
                vendor: vendor,
                status: ticket.failure == nil ? .accepted : .failed,
                attempts: ticket.attempts,
                httpStatus: ticket.lastStatus,
                identifiers: ticket.identifiers,
                reference: ticket.references.isEmpty ? nil : ticket.references.joined(separator: ","),
                error: ticket.failure ?? (ticket.notes.isEmpty ? nil : ticket.notes.joined(separator: "; ")),
                deleted: ticket.deleted,
                retriesExhausted: ticket.failure != nil && ticket.failureIsRetriable,
                notBefore: ticket.failure != nil && ticket.failureIsRetriable ? ticket.notBefore : nil
            )
        )
    }

    /// Adds `text` to `texts` unless it is there already or the joined texts would outgrow what a retry header may
    /// carry (``RequestProgress/maxTextLength``): one request's identifiers can span many calls.
    private static func append(_ text: String, to texts: inout [String], separator: String) {
        guard !texts.contains(text) else { return }
        let joinedLength = texts.reduce(0) { $0 + $1.utf8.count + separator.utf8.count }
        guard joinedLength + text.utf8.count <= RequestProgress.maxTextLength else { return }
        texts.append(text)
    }

    /// A transport error in words that hold no URL, since a path may carry an identifier.
    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("deadlineExceeded") || text.contains("readTimeout") || text.contains("connectTimeout") {
            return "timeout"
        }
        if text.contains("remoteConnectionClosed") || text.contains("connectionReset") || text.contains("ECONNRESET") {
            return "connection reset"
        }
        if text.contains("connectionRefused") || text.contains("ECONNREFUSED") || text.contains("connect") {
            return "connection failed"
        }
        return "transport error"
    }
}

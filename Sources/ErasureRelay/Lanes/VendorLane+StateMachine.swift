extension VendorLane {
    /// Every decision of one vendor's lane, apart from the actor that carries them out.
    ///
    /// Events go in: a request's identifiers are enqueued or withdrawn, time passes, a call finishes with the
    /// vendor's answer, this replica's share of the quota changes. Actions come out: start this call, finish this
    /// request with this result, wake the lane at this instant, and what to record in metrics and logs. The machine
    /// owns the queue, the rate limiter, the retry budget, the outage breaker, every request's tally, the lane's
    /// pause and the count of calls in flight; it reads no clock and sends nothing, so its tests choose every instant.
    ///
    /// Generic over the instant, as ``RateLimiter`` is: the lane runs it on `ContinuousClock`, tests on instants
    /// they pick.
    struct StateMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
        typealias Item = LaneItem<Instant>

        let vendor: VendorID
        let adapter: any VendorAdapter
        let limits: LaneQueue<Instant>.Limits
        let maxConcurrency: Int
        let lingerWhenIdle: Bool
        let retryBudget: RetryBudget
        var limiter: RateLimiter<Instant>
        var random = SystemRandomNumberGenerator()

        var queue = LaneQueue<Instant>()
        var tallies: [LaneRequestID: RequestTally] = [:]
        var breaker = OutageBreaker()
        var nextRequest = 0
        var callsInFlight = 0
        var pausedUntil: Instant?
        var wakeScheduled: Instant?
        var flushWithoutLinger = false
        var lastCallStarted: Instant?
        /// When the lane was last found idle: what was queued by then leaves without lingering.
        var idleSince: Instant?
        var limiterBlockedSince: Instant?

        /// - Parameters:
        ///   - adapter: builds the vendor's calls and reads its answers.
        ///   - settings: the lane's quota, batching, retries and concurrency.
        ///   - wallClock: the time now, for the size of an empty call's body.
        init(adapter: any VendorAdapter, settings: VendorSettings, wallClock: Timestamp) {
            self.vendor = adapter.vendor
            self.adapter = adapter
            self.maxConcurrency = settings.maxConcurrency
            self.lingerWhenIdle = settings.batching.lingerWhenIdle
            self.retryBudget = RetryBudget(settings.retry)
            self.limiter = RateLimiter(
                requests: settings.rateLimit.requests,
                window: .seconds(settings.rateLimit.windowSeconds),
                reserve: settings.rateLimit.reserve,
                otherLimits: settings.rateLimits.dropFirst().map {
                    (requests: $0.requests, window: .seconds($0.windowSeconds), reserve: $0.reserve)
                }
            )
            self.limits = LaneQueue.Limits(
                maxItems: adapter.maxItemsPerCall,
                maxBodyBytes: adapter.maxBodyBytes,
                emptyBodyBytes: adapter.bodySize(of: [], now: wallClock),
                linger: .milliseconds(settings.batching.lingerMilliseconds)
            )
        }

        /// Identifiers waiting in the lane whose calls have not started.
        var waitingItems: Int { queue.count }

        /// A request's identifiers, all from one request, enter the lane.
        mutating func enqueue(_ items: [VendorItem], now: Now) -> Admission {
            guard !items.isEmpty else { return .ended(VendorResult(vendor: vendor, status: .skipped)) }
            let request = LaneRequestID(value: nextRequest)
            nextRequest += 1
            let identifiers = items.reduce(0) { $0 + $1.identifierCount }
            let notCalled = { [vendor] (error: String, notBefore: Timestamp?) in
                VendorResult(
                    vendor: vendor,
                    status: .failed,
                    identifiers: identifiers,
                    error: error,
                    retriesExhausted: true,
                    notBefore: notBefore
                )
            }
            if let pausedUntil, let waitEnds = longWaitEnd(pausedUntil, now: now) {
                return .ended(notCalled("vendor asked to wait until \(waitEnds.rfc3339); not called", waitEnds))
            }
            if case .refuse(let reason) = breaker.admit(request) {
                return .ended(notCalled("vendor unavailable (\(reason)); not called", nil))
            }
            tallies[request] = RequestTally(items: items.count, identifiers: identifiers)
            for item in items {
                queue.enqueue(Item(request: request, item: item, enqueuedAt: now.instant, notBefore: now.instant))
            }
            return .queued(request)
        }

        /// The callers of `requests` stopped waiting, as when their partition was revoked: their identifiers are not
        /// sent and spend no quota. A call already under way for them finishes, and its answer is dropped.
        mutating func withdraw(_ requests: Set<LaneRequestID>) -> [Action] {
            guard !requests.isEmpty else { return [] }
            queue.remove(requests: requests)
            var actions: [Action] = [.record(.queueLength(queue.count))]
            for request in requests {
                breaker.requestEnded(request)
                if tallies.removeValue(forKey: request) != nil { actions.append(.finish(request, nil)) }
            }
            return actions
        }

        /// This replica's share of the vendor's quota changed, as replicas joined or left.
        mutating func shareChanged(to share: Double, now: Now) {
            limiter.setShare(share, now: now.instant)
        }

        /// From now on, partial batches leave without waiting for their linger, as at shutdown.
        mutating func flush() {
            flushWithoutLinger = true
        }

        /// A wake-up the lane asked for arrived.
        mutating func timerFired(at instant: Instant) {
            if wakeScheduled == instant { wakeScheduled = nil }
        }

        /// Forgets every waiting request, whose callers are answered by whoever gave up on them.
        mutating func abandonAll() {
            _ = queue.removeAll()
            tallies.removeAll()
        }

        /// Starts every call that may start now, and says when to look again if something waits for time to pass.
        mutating func dispatch(now: Now) -> [Action] {
            // Lingering pays only under load. A lane with no call in flight and none started within the linger time
            // is far below its quota: what is queued leaves without lingering, each kind in a call of its own,
            // however the rate limiter spaces those calls. Under a steady stream calls start more often than that,
            // and batches fill as the linger lets them; at most one round of calls per linger time leaves unfilled.
            if callsInFlight == 0, lastCallStarted.map({ $0.duration(to: now.instant) >= limits.linger }) ?? true,
                !lingerWhenIdle
            {
                idleSince = now.instant
            }
            var actions: [Action] = []
            if let wakeAt = startCalls(now: now, into: &actions), wakeScheduled.map({ wakeAt < $0 }) ?? true {
                wakeScheduled = wakeAt
                actions.append(.wake(at: wakeAt))
            }
            return actions
        }

        /// The call `call` ended: with the vendor's answer, or with the transport's error.
        /// - Parameter sentAt: when the call left, for its duration and the identifiers' retry budget.
        mutating func callFinished(
            _ call: Call,
            sentAt: Instant,
            answer: Result<VendorResponse, VendorTransportError>,
            now: Now
        ) -> [Action] {
            callsInFlight -= 1
            var batch = call.items
            for index in batch.indices {
                batch[index].attempts += 1
                batch[index].firstAttempt = batch[index].firstAttempt ?? sentAt
            }
            let status: Int?
            let answered: CallResult
            var found: [VendorItem]?
            var jobState: JobState?
            switch answer {
            case .success(let response):
                status = response.status
                (answered, found, jobState) = read(response, to: batch)
            case .failure(let error):
                status = nil
                answered = .retriable(reason: error.description, retryAfter: nil)
            }
            let result = answered.sanitized(for: batch.map(\.item))
            var actions: [Action] = [
                .record(
                    .callAnswered(
                        result: result.metricLabel(status: status),
                        status: status,
                        duration: sentAt.duration(to: now.instant)
                    )
                )
            ]
            for index in batch.indices { batch[index].lastStatus = status ?? batch[index].lastStatus }
            if case .retriable = result {
            } else if breaker.vendorAnswered() {
                actions.append(.record(.vendorAnsweringAgain))
            }
            if let found {
                lookedUp(batch[0], found: found, now: now, into: &actions)
                return actions
            }
            switch result {
            case .accepted(let reference, let deleted, let note):
                // A count of users deleted belongs to a request only when the call carried no other request's.
                let singleRequest = Set(batch.map(\.request)).count == 1
                // An erasure a job vendor took names its job, unless the vendor holds no such user.
                let namesJob = adapter.followsJobs && jobState == nil && note != VendorText.notFound
                for item in batch {
                    let ending = Self.ending(
                        of: item,
                        reference: reference,
                        note: note,
                        deleted: singleRequest ? deleted : nil,
                        namesJob: namesJob,
                        jobState: jobState
                    )
                    record(ending, of: item, into: &actions)
                }
            case .rejected(let reason, let isolateItems) where isolateItems && batch.count > 1:
                actions.append(.record(.splitting(batchSize: batch.count, reason: reason)))
                let middle = batch.count / 2
                queue.isolate(Array(batch[..<middle]))
                queue.isolate(Array(batch[middle...]))
            case .rejected(let reason, _):
                for item in batch { record(Self.ending(of: item, failure: reason), of: item, into: &actions) }
            case .retriable(let reason, let retryAfter):
                retry(
                    batch,
                    wasIsolated: call.wasIsolated,
                    reason: reason,
                    retryAfter: retryAfter,
                    now: now,
                    into: &actions
                )
            }
            return actions
        }
    }
}

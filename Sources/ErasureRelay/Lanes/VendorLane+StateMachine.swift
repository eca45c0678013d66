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
        private let adapter: any VendorAdapter
        private let limits: LaneQueue<Instant>.Limits
        private let maxConcurrency: Int
        private let lingerWhenIdle: Bool
        private let retryBudget: RetryBudget
        private var limiter: RateLimiter<Instant>
        private var random = SystemRandomNumberGenerator()

        private var queue = LaneQueue<Instant>()
        private var tallies: [LaneRequestID: RequestTally] = [:]
        private var breaker = OutageBreaker()
        private var nextRequest = 0
        private(set) var callsInFlight = 0
        private var pausedUntil: Instant?
        private var wakeScheduled: Instant?
        private var flushWithoutLinger = false
        private var lastCallStarted: Instant?
        /// When the lane was last found idle: what was queued by then leaves without lingering.
        private var idleSince: Instant?
        private var limiterBlockedSince: Instant?

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

        // MARK: Events

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
            switch answer {
            case .success(let response):
                status = response.status
                answered = adapter.classify(response)
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
            switch result {
            case .accepted(let reference, let deleted, let note):
                // A count of users deleted belongs to a request only when the call carried no other request's.
                let singleRequest = Set(batch.map(\.request)).count == 1
                for item in batch {
                    let ending = Self.ending(
                        of: item,
                        reference: reference,
                        note: note,
                        deleted: singleRequest ? deleted : nil
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

        // MARK: Decisions

        /// Starts calls until the concurrency cap, the pause, the queue or the quota stops it.
        /// - Returns: when to look again, if something waits for time to pass.
        private mutating func startCalls(now: Now, into actions: inout [Action]) -> Instant? {
            while callsInFlight < maxConcurrency {
                if let pausedUntil, pausedUntil > now.instant { return pausedUntil }
                let decision = queue.next(
                    now: now.instant,
                    limits: limits,
                    flush: flushWithoutLinger,
                    unlingeredThrough: idleSince
                )
                switch decision {
                case .idle:
                    return nil
                case .waitUntil(let instant):
                    return instant
                case .send(let batch, let wasIsolated):
                    guard let permitted = limiter.permittedAt(now: now.instant) else {
                        // No share of the quota: nothing leaves until the share changes.
                        queue.putBack(batch, isolated: wasIsolated)
                        return nil
                    }
                    guard permitted <= now.instant else {
                        queue.putBack(batch, isolated: wasIsolated)
                        limiterBlockedSince = limiterBlockedSince ?? now.instant
                        return permitted
                    }
                    guard let (request, sent) = callCarryingEveryIdentifier(batch, now: now, into: &actions) else {
                        continue
                    }
                    limiter.take(now: now.instant)
                    let limiterWait = limiterBlockedSince.map { $0.duration(to: now.instant) }
                    limiterBlockedSince = nil
                    callsInFlight += 1
                    lastCallStarted = now.instant
                    let laneWaits = sent.filter { $0.attempts == 0 }.map { $0.enqueuedAt.duration(to: now.instant) }
                    actions.append(
                        .record(.callStarted(batchSize: sent.count, laneWaits: laneWaits, limiterWait: limiterWait))
                    )
                    actions.append(.record(.queueLength(queue.count)))
                    actions.append(.startCall(Call(request: request, items: sent, wasIsolated: wasIsolated)))
                }
            }
            return nil
        }

        /// The call for `batch`, read back before it is sent (``CallContents``): an item whose identifiers the call
        /// would not carry is failed, never reported erased, and the call is built again without it. This holds for
        /// every call of every adapter, built-in or declared, whatever its template does.
        /// - Returns: the call and the items it carries; nil when it would carry none of them.
        private mutating func callCarryingEveryIdentifier(
            _ batch: [Item],
            now: Now,
            into actions: inout [Action]
        ) -> (call: VendorCall, batch: [Item])? {
            var batch = batch
            while !batch.isEmpty {
                let call = adapter.call(for: batch.map(\.item), now: now.wallClock)
                let contents = CallContents(call)
                let (carried, left) = batch.partitioned { contents.carries($0.item) }
                guard !left.isEmpty else { return (call, batch) }
                actions.append(.record(.callWouldNotCarry(identifiers: left.count)))
                let failure =
                    "definition error: the call of vendor \(vendor.rawValue) does not carry an identifier it would "
                    + "report as erased; not sent"
                for item in left { record(Self.ending(of: item, failure: failure), of: item, into: &actions) }
                batch = carried
            }
            return nil
        }

        /// After a retriable failure: pauses the lane when the vendor asked every caller to wait, and retries,
        /// parks or fails each identifier as the retry budget decides.
        private mutating func retry(
            _ batch: [Item],
            wasIsolated: Bool,
            reason: String,
            retryAfter: Double?,
            now: Now,
            into actions: inout [Action]
        ) {
            let vendorWait = Duration.seconds(retryAfter ?? 0)
            if let retryAfter {
                // The quota belongs to the whole account: when the vendor says wait, the whole lane waits.
                let until = now.instant.advanced(by: vendorWait)
                pausedUntil = max(pausedUntil ?? until, until)
                actions.append(.record(.paused(retryAfterSeconds: retryAfter, reason: reason)))
            }
            let decisions = retryBudget.decide(
                batch: batch.map { ($0.attempts, $0.firstAttempt.map { $0.duration(to: now.instant) } ?? .zero) },
                vendorWait: vendorWait,
                using: &random
            )
            var retried: [Item] = []
            var exhausted = false
            for (var item, decision) in zip(batch, decisions) {
                switch decision {
                case .exhausted:
                    let failure = "retries exhausted after \(item.attempts) attempts: \(reason)"
                    record(Self.ending(of: item, failure: failure, retriable: true), of: item, into: &actions)
                    exhausted = true
                case .park(let wait):
                    // Waiting in memory would outlast the retry budget: park the work until the vendor allows a
                    // call instead.
                    let waitEnds = now.wallClock(after: wait)
                    let failure = "vendor asked to wait until \(waitEnds.rfc3339): \(reason)"
                    let ending = Self.ending(of: item, failure: failure, retriable: true, notBefore: waitEnds)
                    record(ending, of: item, into: &actions)
                case .retry(let wait):
                    item.notBefore = now.instant.advanced(by: wait)
                    retried.append(item)
                }
            }
            if !retried.isEmpty {
                actions.append(.record(.retried(count: retried.count)))
                if wasIsolated {
                    queue.isolate(retried)
                } else {
                    for item in retried { queue.retry(item) }
                }
            }
            if let pausedUntil, let waitEnds = longWaitEnd(pausedUntil, now: now) {
                parkWaitingWork(
                    failure: "vendor asked to wait until \(waitEnds.rfc3339): \(reason)",
                    notBefore: waitEnds,
                    into: &actions
                )
            } else if exhausted && breaker.retriesExhausted(reason: reason) {
                parkWaitingWork(
                    failure: "vendor unavailable (\(reason)); retries stopped",
                    notBefore: nil,
                    into: &actions
                )
            }
        }

        /// When the lane is paused for longer than its retry budget, the wall-clock time the pause ends: work that
        /// would wait that long is parked rather than held in memory.
        private func longWaitEnd(_ pausedUntil: Instant, now: Now) -> Timestamp? {
            let wait = now.instant.duration(to: pausedUntil)
            guard retryBudget.outlasts(wait) else { return nil }
            return now.wallClock(after: wait)
        }

        /// Fails every waiting identifier as retriable, so that its request is parked until `notBefore`.
        private mutating func parkWaitingWork(failure: String, notBefore: Timestamp?, into actions: inout [Action]) {
            let waiting = queue.removeAll()
            actions.append(.record(.queueLength(0)))
            guard !waiting.isEmpty else { return }
            actions.append(.record(.parked(identifiers: waiting.count, reason: failure)))
            for item in waiting {
                record(
                    Self.ending(of: item, failure: failure, retriable: true, notBefore: notBefore),
                    of: item,
                    into: &actions
                )
            }
        }

        /// Records how one identifier ended, and finishes its request once every identifier of it has.
        private mutating func record(_ ending: RequestTally.Ending, of item: Item, into actions: inout [Action]) {
            guard var tally = tallies[item.request] else { return }
            tally.record(ending)
            guard tally.isComplete else {
                tallies[item.request] = tally
                return
            }
            tallies[item.request] = nil
            breaker.requestEnded(item.request)
            actions.append(.finish(item.request, tally.result(for: vendor)))
        }
    }
}

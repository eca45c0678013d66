// The machine's decisions, apart from its events: which calls start, and what each answer comes to.
extension VendorLane.StateMachine {
    /// An identifier's look-up found `found`: each match is deleted by a call of its own, and the identifier
    /// ends when all of them have; no match is the vendor's "no such user".
    mutating func lookedUp(_ item: Item, found: [VendorItem], now: Now, into actions: inout [Action]) {
        guard !found.isEmpty else {
            return record(Self.ending(of: item, note: VendorText.notFound), of: item, into: &actions)
        }
        guard tallies[item.request] != nil else { return }
        tallies[item.request]!.expand(into: found.count)
        for match in found {
            queue.enqueue(Item(request: item.request, item: match, enqueuedAt: now.instant, notBefore: now.instant))
        }
    }

    /// What an answer to `batch`'s call says: for a look-up, the matches it found; for a job's status call, the
    /// state the vendor gave; otherwise how the call ended.
    func read(
        _ response: VendorResponse,
        to batch: [Item]
    ) -> (answered: CallResult, found: [VendorItem]?, jobState: JobState?) {
        let accepted = CallResult.accepted(reference: nil, deleted: nil, note: nil)
        guard batch.count == 1 else { return (adapter.classify(response), nil, nil) }
        switch adapter.lookedUp(response, for: batch[0].item) {
        case .matches(let matches)?:
            return (accepted, matches, nil)
        case .tooMany(let found, let limit)?:
            let reason = "look-up found \(found) matches, more than max_matches \(limit); none deleted"
            return (.rejected(reason: reason, isolateItems: false), nil, nil)
        case .answered(let result)?:
            return (result, nil, nil)
        case nil:
            break
        }
        switch adapter.jobChecked(response, for: batch[0].item) {
        case .state(let state)?: return (accepted, nil, state)
        case .answered(let result)?: return (result, nil, nil)
        case nil: return (adapter.classify(response), nil, nil)
        }
    }

    /// Starts calls until the concurrency cap, the pause, the queue or the quota stops it.
    /// - Returns: when to look again, if something waits for time to pass.
    mutating func startCalls(now: Now, into actions: inout [Action]) -> Instant? {
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
    mutating func callCarryingEveryIdentifier(
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
    mutating func retry(
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
    func longWaitEnd(_ pausedUntil: Instant, now: Now) -> Timestamp? {
        let wait = now.instant.duration(to: pausedUntil)
        guard retryBudget.outlasts(wait) else { return nil }
        return now.wallClock(after: wait)
    }

    /// Fails every waiting identifier as retriable, so that its request is parked until `notBefore`.
    mutating func parkWaitingWork(failure: String, notBefore: Timestamp?, into actions: inout [Action]) {
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
    mutating func record(_ ending: RequestTally.Ending, of item: Item, into actions: inout [Action]) {
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

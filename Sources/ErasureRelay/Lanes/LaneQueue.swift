import DequeModule

/// A lane's waiting identifiers and the batching decision: which batch to send now, or how long to wait.
///
/// A pure state machine, tested on its own. Identifiers wait in one FIFO per kind, so taking a batch costs the size
/// of the batch, and a full batch of one kind never waits behind a partial batch of another. Retries wait apart
/// until their backoff ends; batches split after a rejection wait apart and are never merged again.
struct LaneQueue<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    typealias Item = LaneItem<Instant>

    /// What to do next.
    enum Decision {
        case send([Item], isolated: Bool)
        case waitUntil(Instant)
        case idle
    }

    /// Limits a batch must respect.
    struct Limits: Sendable {
        var maxItems: Int
        /// The largest body, and the size of a body with no items; nil for vendors without a byte limit.
        var maxBodyBytes: Int?
        var emptyBodyBytes: Int
        var linger: Duration
    }

    private var ready: [String: Deque<Item>] = [:]
    private var delayed: [Item] = []
    private var isolated: [[Item]] = []
    private(set) var count = 0

    mutating func enqueue(_ item: Item) {
        ready[item.item.kind, default: []].append(item)
        count += 1
    }

    /// Puts a retried identifier back, to wait until its `notBefore`.
    mutating func retry(_ item: Item) {
        delayed.append(item)
        count += 1
    }

    /// Keeps a split batch apart from all others.
    mutating func isolate(_ batch: [Item]) {
        guard !batch.isEmpty else { return }
        isolated.append(batch)
        count += batch.count
    }

    /// Returns a batch that was taken but could not be sent yet, ahead of everything else.
    mutating func putBack(_ batch: [Item], isolated wasIsolated: Bool) {
        guard let kind = batch.first?.item.kind else { return }
        if wasIsolated {
            isolated.insert(batch, at: 0)
        } else {
            ready[kind, default: []].prepend(contentsOf: batch)
        }
        count += batch.count
    }

    /// Empties the queue, returning every waiting identifier.
    mutating func removeAll() -> [Item] {
        let all = ready.values.flatMap { $0 } + delayed + isolated.flatMap { $0 }
        ready.removeAll()
        delayed.removeAll()
        isolated.removeAll()
        count = 0
        return all
    }

    /// Removes every waiting identifier of `requests`, as when their partition was revoked.
    /// - Returns: how many were removed.
    @discardableResult
    mutating func remove(requests: Set<LaneRequestID>) -> Int {
        let before = count
        for kind in ready.keys { ready[kind]!.removeAll { requests.contains($0.request) } }
        delayed.removeAll { requests.contains($0.request) }
        isolated = isolated.map { $0.filter { !requests.contains($0.request) } }.filter { !$0.isEmpty }
        count = ready.values.reduce(0) { $0 + $1.count } + delayed.count + isolated.reduce(0) { $0 + $1.count }
        return before - count
    }

    /// The next batch to send at `now`, or when to look again.
    /// - Parameters:
    ///   - flush: send partial batches without waiting for their linger time, as at shutdown.
    ///   - unlingeredThrough: a partial batch whose oldest identifier was queued by then leaves without lingering,
    ///     as what waited in a lane found idle does, even if the rate limiter spaces its calls.
    mutating func next(now: Instant, limits: Limits, flush: Bool, unlingeredThrough: Instant? = nil) -> Decision {
        if let index = isolated.firstIndex(where: { $0[0].notBefore <= now }) {
            let batch = isolated.remove(at: index)
            count -= batch.count
            return .send(batch, isolated: true)
        }
        releaseDueRetries(now: now)
        var wakeAt = (isolated.map { $0[0].notBefore } + delayed.map(\.notBefore)).min()
        let kinds = ready.filter { !$0.value.isEmpty }.sorted {
            ($0.value[0].enqueuedAt, $0.key) < ($1.value[0].enqueuedAt, $1.key)
        }
        for (kind, items) in kinds {
            let (taken, full) = batchSize(of: items, limits: limits)
            let lingerEnds = items[0].enqueuedAt.advanced(by: limits.linger)
            let unlingered = unlingeredThrough.map { items[0].enqueuedAt <= $0 } ?? false
            if full || flush || unlingered || lingerEnds <= now {
                let batch = Array(items.prefix(taken))
                ready[kind]!.removeFirst(taken)
                count -= taken
                return .send(batch, isolated: false)
            }
            wakeAt = min(wakeAt ?? lingerEnds, lingerEnds)
        }
        return wakeAt.map { .waitUntil($0) } ?? .idle
    }

    /// How many of `items` fit in one call, and whether that call is full.
    private func batchSize(of items: Deque<Item>, limits: Limits) -> (Int, Bool) {
        if items[0].item.travelsAlone { return (1, true) }
        guard let maxBodyBytes = limits.maxBodyBytes else {
            let taken = min(items.count, limits.maxItems)
            return (taken, taken == limits.maxItems)
        }
        var bytes = limits.emptyBodyBytes
        var taken = 0
        for item in items.prefix(limits.maxItems) {
            let added = item.item.payload.count + (taken == 0 ? 0 : 1)
            // A single item larger than the limit still goes alone, so that the vendor's answer decides its fate.
            if taken > 0, bytes + added > maxBodyBytes { return (taken, true) }
            bytes += added
            taken += 1
        }
        // Within a tenth of the byte limit, nothing much more would fit: send rather than linger.
        return (taken, taken == limits.maxItems || bytes * 10 > maxBodyBytes * 9)
    }

    private mutating func releaseDueRetries(now: Instant) {
        guard delayed.contains(where: { $0.notBefore <= now }) else { return }
        var waiting: [Item] = []
        for item in delayed {
            if item.notBefore <= now {
                // Retries go to the front of their kind: they have waited longest.
                ready[item.item.kind, default: []].prepend(item)
            } else {
                waiting.append(item)
            }
        }
        delayed = waiting
    }
}

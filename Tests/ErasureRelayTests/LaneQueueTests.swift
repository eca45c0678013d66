import Testing

@testable import ErasureRelay

@Suite("Lane queue")
struct LaneQueueTests {
    typealias Instant = ContinuousClock.Instant
    typealias Queue = LaneQueue<Instant>
    let start = ContinuousClock.now
    let limits = Queue.Limits(maxItems: 3, maxBodyBytes: nil, emptyBodyBytes: 0, linger: .milliseconds(50))

    private func item(_ kind: String, _ request: Int, at offset: Duration = .zero, bytes: Int = 4) -> LaneItem<Instant>
    {
        let time = start.advanced(by: offset)
        return LaneItem(
            request: LaneRequestID(value: request),
            item: VendorItem(kind: kind, payload: Array(repeating: 0x61, count: bytes), values: ["a"]),
            enqueuedAt: time,
            notBefore: time
        )
    }

    private func requests(_ decision: Queue.Decision) -> [Int]? {
        if case .send(let batch, _) = decision { return batch.map(\.request.value) }
        return nil
    }

    @Test func sendsAFullBatchAtOnceAndAPartialOneAfterItsLinger() {
        var queue = Queue()
        for request in 0..<4 { queue.enqueue(item("a", request)) }
        #expect(requests(queue.next(now: start, limits: limits, flush: false)) == [0, 1, 2])
        guard case .waitUntil(let instant) = queue.next(now: start, limits: limits, flush: false) else {
            Issue.record("a partial batch was sent before its linger")
            return
        }
        #expect(instant == start.advanced(by: .milliseconds(50)))
        #expect(requests(queue.next(now: instant, limits: limits, flush: false)) == [3])
        #expect(queue.count == 0)
        guard case .idle = queue.next(now: instant, limits: limits, flush: false) else {
            Issue.record("not idle")
            return
        }
    }

    @Test func whatWaitedWhenTheLaneWasIdleLeavesWithoutLingering() {
        var queue = Queue()
        queue.enqueue(item("a", 0))
        queue.enqueue(item("b", 1))
        queue.enqueue(item("a", 2, at: .milliseconds(5)))
        let idleAt = start.advanced(by: .milliseconds(1))
        let now = start.advanced(by: .milliseconds(10))
        #expect(requests(queue.next(now: now, limits: limits, flush: false, unlingeredThrough: idleAt)) == [0, 2])
        #expect(requests(queue.next(now: now, limits: limits, flush: false, unlingeredThrough: idleAt)) == [1])
        // Queued after the lane was found idle: it lingers.
        queue.enqueue(item("b", 3, at: .milliseconds(5)))
        guard
            case .waitUntil(let instant) = queue.next(now: now, limits: limits, flush: false, unlingeredThrough: idleAt)
        else {
            Issue.record("an identifier queued after the idle moment did not linger")
            return
        }
        #expect(instant == start.advanced(by: .milliseconds(55)))
    }

    @Test func aFullBatchOfOneKindDoesNotWaitBehindAPartialBatchOfAnother() {
        var queue = Queue()
        queue.enqueue(item("a", 0))
        for request in 1...3 { queue.enqueue(item("b", request, at: .milliseconds(1))) }
        #expect(
            requests(queue.next(now: start.advanced(by: .milliseconds(2)), limits: limits, flush: false)) == [1, 2, 3]
        )
        #expect(requests(queue.next(now: start.advanced(by: .milliseconds(2)), limits: limits, flush: true)) == [0])
    }

    @Test func kindsNeverMix() {
        var queue = Queue()
        queue.enqueue(item("b", 1, at: .milliseconds(1)))
        queue.enqueue(item("a", 0))
        queue.enqueue(item("a", 2, at: .milliseconds(2)))
        let later = start.advanced(by: .seconds(1))
        #expect(requests(queue.next(now: later, limits: limits, flush: false)) == [0, 2])
        #expect(requests(queue.next(now: later, limits: limits, flush: false)) == [1])
    }

    @Test func respectsTheByteLimit() {
        var queue = Queue()
        let byteLimits = Queue.Limits(maxItems: 100, maxBodyBytes: 100, emptyBodyBytes: 20, linger: .seconds(1))
        // 20 + 30 + 1 + 30 = 81 fits; a third item would make 112.
        for request in 0..<3 { queue.enqueue(item("a", request, bytes: 30)) }
        #expect(requests(queue.next(now: start, limits: byteLimits, flush: false)) == [0, 1])
        // Alone, an item above the limit still goes, so the vendor's answer decides its fate.
        queue.enqueue(item("b", 9, at: .milliseconds(1), bytes: 500))
        let later = start.advanced(by: .seconds(2))
        _ = queue.next(now: later, limits: byteLimits, flush: false)
        #expect(requests(queue.next(now: later, limits: byteLimits, flush: false)) == [9])
    }

    @Test func retriesWaitForTheirBackoffThenGoFirst() {
        var queue = Queue()
        var retried = item("a", 0)
        retried.notBefore = start.advanced(by: .seconds(1))
        queue.retry(retried)
        queue.enqueue(item("a", 1))
        queue.enqueue(item("a", 2))
        #expect(requests(queue.next(now: start, limits: limits, flush: true)) == [1, 2])
        guard case .waitUntil(let instant) = queue.next(now: start, limits: limits, flush: true) else {
            Issue.record("the retry did not wait")
            return
        }
        #expect(instant == start.advanced(by: .seconds(1)))
        queue.enqueue(item("a", 3, at: .milliseconds(900)))
        #expect(requests(queue.next(now: instant, limits: limits, flush: true)) == [0, 3])
    }

    @Test func isolatedBatchesAreNeverMerged() {
        var queue = Queue()
        queue.isolate([item("a", 0)])
        queue.isolate([item("a", 1)])
        queue.enqueue(item("a", 2))
        guard case .send(let first, let isolated) = queue.next(now: start, limits: limits, flush: true) else {
            Issue.record("nothing sent")
            return
        }
        #expect(first.map(\.request.value) == [0] && isolated)
        #expect(requests(queue.next(now: start, limits: limits, flush: true)) == [1])
        #expect(requests(queue.next(now: start, limits: limits, flush: true)) == [2])
    }

    @Test func aBatchPutBackGoesOutFirstAndCountsAreKept() {
        var queue = Queue()
        for request in 0..<5 { queue.enqueue(item("a", request)) }
        guard case .send(let batch, _) = queue.next(now: start, limits: limits, flush: false) else {
            Issue.record("nothing sent")
            return
        }
        #expect(queue.count == 2)
        queue.putBack(batch, isolated: false)
        #expect(queue.count == 5)
        #expect(requests(queue.next(now: start, limits: limits, flush: false)) == [0, 1, 2])
        #expect(queue.removeAll().map(\.request.value).sorted() == [3, 4])
        #expect(queue.count == 0)
    }
}

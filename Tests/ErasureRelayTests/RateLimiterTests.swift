import ErasureRelay
import Testing

@Suite("Rate limiter and backoff")
struct RateLimiterTests {
    typealias Instant = ContinuousClock.Instant
    let start = ContinuousClock.now

    /// Takes every call as early as the limiter allows for `duration`, and returns the call times.
    private func saturate(_ limiter: inout RateLimiter<Instant>, for duration: Duration) -> [Instant] {
        var times: [Instant] = []
        var now = start
        let end = start.advanced(by: duration)
        while let permitted = limiter.permittedAt(now: now), permitted < end {
            now = permitted
            limiter.take(now: now)
            times.append(now)
        }
        return times
    }

    private func maxInAnyWindow(_ times: [Instant], window: Duration) -> Int {
        var best = 0
        var first = 0
        for (index, time) in times.enumerated() {
            while times[first] <= time.advanced(by: .zero - window) { first += 1 }
            best = max(best, index - first + 1)
        }
        return best
    }

    /// Klaviyo's shape: a burst limit and a steady one on the same endpoint. Every limit holds in every window,
    /// whichever binds, and the binding one is used as fully as one limit alone is: its 98%, rounded down to whole
    /// calls per window.
    @Test(
        "Several limits hold at once",
        arguments: [
            (burst: (3, 1), steady: (60, 60)), (burst: (75, 1), steady: (700, 60)),
            (burst: (10, 1), steady: (1000, 60)),
        ]
    )
    func severalLimitsHoldAtOnce(burst: (Int, Int), steady: (Int, Int)) {
        var limiter = RateLimiter<Instant>(
            requests: burst.0,
            window: .seconds(burst.1),
            otherLimits: [(requests: steady.0, window: .seconds(steady.1), reserve: 0)]
        )
        let times = saturate(&limiter, for: .seconds(steady.1 * 3))
        #expect(maxInAnyWindow(times, window: .seconds(burst.1)) <= burst.0)
        #expect(maxInAnyWindow(times, window: .seconds(steady.1)) <= steady.0)
        let bindingPerSecond = [burst, steady].map { (Double($0.0) * 0.98).rounded(.down) / Double($0.1) }.min()!
        #expect(Double(times.count) >= (bindingPerSecond * Double(steady.1 * 3)).rounded(.down))
        // Either order of the two limits paces the same.
        var swapped = RateLimiter<Instant>(
            requests: steady.0,
            window: .seconds(steady.1),
            otherLimits: [(requests: burst.0, window: .seconds(burst.1), reserve: 0)]
        )
        #expect(saturate(&swapped, for: .seconds(steady.1 * 3)) == times)
    }

    @Test(
        "Never more than the quota in any window, and at least 95% of it under backlog",
        arguments: [
            (20_000, 60), (5000, 60), (1000, 60), (600, 60), (10, 1), (7, 3),
        ]
    )
    func neverOvershoots(requests: Int, windowSeconds: Int) {
        var limiter = RateLimiter<Instant>(requests: requests, window: .seconds(windowSeconds))
        let times = saturate(&limiter, for: .seconds(windowSeconds * 5))
        let window = Duration.seconds(windowSeconds)
        #expect(maxInAnyWindow(times, window: window) <= requests)
        // Rounding down to whole calls per window costs at most one call a window on top of the 2% margin.
        #expect(times.count >= (Int((Double(requests) * 0.98).rounded(.down))) * 5)
        if requests >= 100 { #expect(Double(times.count) >= Double(requests * 5) * 0.95) }
    }

    @Test func aShareScalesTheRate() {
        var limiter = RateLimiter<Instant>(requests: 1000, window: .seconds(10), share: 0.25)
        let times = saturate(&limiter, for: .seconds(10))
        #expect(limiter.allowedPerWindow == 245)
        #expect(times.count == 245)
        limiter.setShare(0, now: start)
        #expect(limiter.permittedAt(now: start) == nil)
    }

    @Test func aReserveIsLeftUnused() {
        let limiter = RateLimiter<Instant>(requests: 1000, window: .seconds(60), reserve: 0.2)
        #expect(limiter.allowedPerWindow == 784)
    }

    @Test("Replicas that split a quota by partitions stay within it together", arguments: [2, 3, 5, 7])
    func sharesAddUp(replicas: Int) {
        let partitions = 12
        let assigned = (0..<replicas).map { partitions / replicas + ($0 < partitions % replicas ? 1 : 0) }
        for requests in [20, 100, 1000, 20_000] {
            // Every replica takes calls as fast as its limiter lets it, all from the same instant: the calls they
            // make together, not their computed allowances, must fit the quota in every window.
            let window = Duration.seconds(60)
            let calls = assigned.flatMap { partitionsHeld in
                var limiter = RateLimiter<Instant>(
                    requests: requests,
                    window: window,
                    share: Double(partitionsHeld) / Double(partitions)
                )
                return saturate(&limiter, for: window * 3)
            }
            #expect(maxInAnyWindow(calls.sorted(), window: window) <= requests, "\(requests) a minute")
        }
    }

    /// A replica that joins takes half the quota from one that has spent all of it up to that instant: whenever the
    /// handover falls, the two together stay within the quota in every window.
    @Test(arguments: [(40, 1), (10, 1), (500, 1), (100, 60)])
    func aShareHandedOverMidWindowNeverOvershoots(requests: Int, windowSeconds: Int) {
        let window = Duration.seconds(windowSeconds)
        var worst = 0
        for step in 0..<97 {
            var owner = RateLimiter<Instant>(requests: requests, window: window)
            var joiner = RateLimiter<Instant>(requests: requests, window: window, share: 0)
            let handover = start.advanced(by: window * 2 + window * (Double(step) / 97))
            var calls: [Instant] = []
            var now = start
            while let permitted = owner.permittedAt(now: now), permitted < handover {
                now = permitted
                owner.take(now: now)
                calls.append(now)
            }
            owner.setShare(0.5, now: handover)
            joiner.setShare(0.5, now: handover)
            let end = handover.advanced(by: window * 2)
            for var limiter in [owner, joiner] {
                now = handover
                while let permitted = limiter.permittedAt(now: now), permitted < end {
                    now = permitted
                    limiter.take(now: now)
                    calls.append(now)
                }
            }
            worst = max(worst, maxInAnyWindow(calls.sorted(), window: window))
        }
        #expect(worst <= requests)
    }

    @Test func aShareBeyondTheWholeQuotaIsNoRise() {
        var limiter = RateLimiter<Instant>(requests: 10, window: .seconds(1), safetyMargin: 0)
        limiter.setShare(1.5, now: start)
        #expect(limiter.share == 1)
        #expect(limiter.permittedAt(now: start) == start)
    }

    @Test func idleTimeIsNotBankedAsABurst() {
        var limiter = RateLimiter<Instant>(requests: 10, window: .seconds(1), safetyMargin: 0)
        limiter.take(now: start)
        let later = start.advanced(by: .seconds(60))
        #expect(limiter.permittedAt(now: later) == later)
        limiter.take(now: later)
        #expect(limiter.permittedAt(now: later) == later.advanced(by: .milliseconds(100)))
    }

    @Test func backoffDoublesUpToItsCapWithFullJitter() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1))
        #expect(backoff.ceiling(afterAttempt: 1) == .milliseconds(100))
        #expect(backoff.ceiling(afterAttempt: 3) == .milliseconds(400))
        #expect(backoff.ceiling(afterAttempt: 10) == .seconds(1))
        var generator = SeededGenerator(seed: 1)
        let delays = (0..<200).map { _ in backoff.delay(afterAttempt: 4, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(800) })
        #expect(delays.contains { $0 < .milliseconds(200) })
        #expect(delays.contains { $0 > .milliseconds(600) })
    }
}

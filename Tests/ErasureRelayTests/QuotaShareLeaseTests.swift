import Testing

@testable import ErasureRelay

/// A replica frozen past the session timeout reads its share as zero from the moment it is stale until a grace
/// period after it runs again, so that it never spends what its partitions' new owner holds.
@Suite("Quota share lease")
struct QuotaShareLeaseTests {
    @Test func aStaleLeaseHoldsTheShareAtZeroUntilTheGraceAfterItsRenewalEnds() {
        let share = QuotaShare(initial: 0.5)
        let start = ContinuousClock.now
        share.holdWhileStale(after: .seconds(6), grace: .seconds(2))
        #expect(!share.renew(at: start))
        let running = share.versioned(at: start + .seconds(5))
        #expect(running.share == 0.5)
        // Frozen for 10 s: stale before anything ran again.
        let stale = share.versioned(at: start + .seconds(10))
        #expect(stale.share == 0 && stale.version != running.version)
        #expect(share.renew(at: start + .seconds(10)))
        #expect(share.versioned(at: start + .seconds(11)).share == 0)
        #expect(!share.renew(at: start + .seconds(11)))
        #expect(share.isHeld(at: start + .seconds(11.9)))
        // Past the grace with no revoke: the share is back, under its own version again.
        let back = share.versioned(at: start + .seconds(12))
        #expect(back.share == 0.5 && back == running)
    }

    @Test func withoutALeaseTheShareIsNeverHeld() {
        let share = QuotaShare(initial: 1)
        #expect(!share.renew(at: .now + .seconds(3600)))
        #expect(!share.isHeld(at: .now + .seconds(7200)))
        #expect(share.versioned().share == 1)
    }
}

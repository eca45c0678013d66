import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Testing

@Suite("Parking policy")
struct ParkingPolicyTests {
    let now = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)
    var farDeadline: Timestamp { now.adding(seconds: 30 * 86_400) }

    func policy(maxParks: Int = 3, initial: Int = 60, maximum: Int = 600) -> ParkingPolicy {
        var parking = RelayConfiguration.Parking()
        parking.maxParks = maxParks
        parking.initialDelaySeconds = initial
        parking.maxDelaySeconds = maximum
        return ParkingPolicy(parking)
    }

    let accepted = VendorResult(vendor: .braze, status: .accepted, attempts: 1)
    let skipped = VendorResult(vendor: .engagelab, status: .skipped)
    let exhausted = VendorResult(
        vendor: .moengage,
        status: .failed,
        attempts: 8,
        error: "retries exhausted",
        retriesExhausted: true
    )
    let refused = VendorResult(vendor: .moengageGDPR, status: .failed, attempts: 1, httpStatus: 401, error: "HTTP 401")

    /// A park the retry topic cannot take becomes a failure naming every failed vendor, the permanent ones too, so
    /// that a replay tries them all.
    @Test func aParkTheRetryTopicRefusesFailsNamingEveryFailedVendor() {
        let results = [accepted, exhausted, refused, skipped]
        guard case .park(let parked, _) = policy().decide(results: results, parks: 0, deadline: farDeadline, now: now)
        else {
            Issue.record("a retriable failure was not parked")
            return
        }
        #expect(parked == [.moengage])
        #expect(
            policy().parkingRefused(results: results) == .failed(.parkingRefused, vendors: [.moengage, .moengageGDPR])
        )
    }

    @Test func completesWhenNoVendorFailed() {
        #expect(policy().decide(results: [accepted, skipped], parks: 0, deadline: farDeadline, now: now) == .completed)
    }

    @Test func parksOnlyTheVendorsThatMaySucceedLater() {
        let decision = policy().decide(
            results: [accepted, exhausted, refused],
            parks: 0,
            deadline: farDeadline,
            now: now
        )
        #expect(decision == .park(vendors: [.moengage], notBefore: now.adding(seconds: 60)))
    }

    @Test func failsAtOnceWhenEveryFailureIsPermanent() {
        let decision = policy().decide(results: [accepted, refused], parks: 0, deadline: farDeadline, now: now)
        #expect(decision == .failed(.vendorFailed, vendors: [.moengageGDPR]))
    }

    @Test func theWaitDoublesUpToItsCeiling() {
        let policy = policy(maxParks: 10, initial: 60, maximum: 300)
        #expect((0..<5).map(policy.delaySeconds(afterParks:)) == [60, 120, 240, 300, 300])
        #expect(
            policy.decide(results: [exhausted], parks: 2, deadline: farDeadline, now: now)
                == .park(vendors: [.moengage], notBefore: now.adding(seconds: 240))
        )
    }

    @Test func failsOnceEveryParkIsUsed() {
        let decision = policy(maxParks: 3).decide(
            results: [exhausted, refused],
            parks: 3,
            deadline: farDeadline,
            now: now
        )
        #expect(decision == .failed(.retriesExhausted, vendors: [.moengage, .moengageGDPR]))
        #expect(
            policy(maxParks: 0).decide(results: [exhausted], parks: 0, deadline: farDeadline, now: now)
                == .failed(.retriesExhausted, vendors: [.moengage])
        )
    }

    @Test func theLastAttemptComesAtTheDeadlineAndNotAfter() {
        let deadline = now.adding(seconds: 10)
        #expect(
            policy().decide(results: [exhausted], parks: 0, deadline: deadline, now: now)
                == .park(vendors: [.moengage], notBefore: deadline)
        )
        #expect(
            policy().decide(results: [exhausted], parks: 1, deadline: deadline, now: deadline)
                == .failed(.deadlinePassed, vendors: [.moengage])
        )
    }
}

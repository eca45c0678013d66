import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Logging
import NIOHTTP1
import Testing

/// A lane given absurd waits or counts by its vendor neither traps, nor holds work in memory past its retry budget,
/// nor believes what cannot be true.
@Suite("Vendor lanes given hostile answers", .timeLimit(.minutes(1)))
struct VendorLaneHostileAnswerTests {
    let logger = TestLogs.quietLogger(label: "test")
    static let braze = HostileVendorAnswerTests.braze
    static let engagelab = HostileVendorAnswerTests.engagelab

    @Test func aWaitBeyondTheRetryBudgetParksTheWorkWithoutHoldingItOrCallingAgain() async throws {
        // One answer asks for 1e21 seconds: before, converting it to a Duration trapped and killed the process.
        let transport = RecordingTransport { _, _ in
            VendorResponse(status: 429, headers: HTTPHeaders([("Retry-After", "1e21")]))
        }
        var settings = VendorSettings.testing(.engagelab, account: Self.engagelab)
        settings.retry.maxElapsedSeconds = 60
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let subject = Subject(engagelabRegistrationIDs: ["reg-1"])
        let request = ErasureRequest.testing(subject)
        let before = Timestamp.now()
        let (first, second) = try await withRunningLanes([lane]) {
            let first = await lane.erase(adapter.items(for: request))
            let second = await lane.erase(adapter.items(for: request))
            return (first, second)
        }
        #expect(transport.recordedCalls.count == 1, "no call may leave before the vendor allows it")
        for result in [first, second] {
            let result = try #require(result)
            #expect(result.status == .failed)
            #expect(result.retriesExhausted, "a vendor that asks to wait is retried later, by parking")
            let notBefore = try #require(result.notBefore)
            // The wait is clamped to a week: far beyond the budget, and representable.
            #expect(notBefore >= before.adding(seconds: 604_800 - 5))
            #expect(notBefore <= Timestamp.now().adding(seconds: 604_800))
        }
    }

    @Test func aWaitWithinTheRetryBudgetIsWaitedOutInTheLane() async throws {
        let transport = RecordingTransport { _, index in
            index == 0
                ? VendorResponse(status: 429, headers: HTTPHeaders([("Retry-After", "1")]))
                : VendorResponse(status: 200, body: Array(#"{"success":true}"#.utf8))
        }
        let settings = VendorSettings.testing(.engagelab, account: Self.engagelab)
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let request = ErasureRequest.testing(Subject(engagelabRegistrationIDs: ["reg-1"]))
        let started = ContinuousClock.now
        let result = try await withRunningLanes([lane]) { await lane.erase(adapter.items(for: request)) }
        #expect(result?.status == .accepted)
        #expect(result?.attempts == 2)
        #expect(ContinuousClock.now - started >= .seconds(1), "the second call waited for the vendor's time")
    }

    @Test func absurdDeletedCountsAreNotBelievedAndNeverOverflow() async throws {
        let transport = RecordingTransport(status: 201, body: #"{"deleted":9223372036854775807,"message":"success"}"#)
        var settings = VendorSettings.testing(.braze, account: Self.braze)
        settings.batching.maxSize = 1
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let request = ErasureRequest.testing(Subject(externalID: "u-1", brazeID: "b-1"))
        let result = try await withRunningLanes([lane]) { await lane.erase(adapter.items(for: request)) }
        #expect(result?.status == .accepted)
        #expect(transport.recordedCalls.count == 2)
        #expect(result?.deleted == nil)
    }
}

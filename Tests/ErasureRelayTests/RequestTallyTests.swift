import Testing

@testable import ErasureRelay

@Suite("Request tally")
struct RequestTallyTests {
    private let vendor = VendorID.braze

    private func accepted(attempts: Int = 1, reference: String? = nil, deleted: Int? = nil) -> RequestTally.Ending {
        RequestTally.Ending(attempts: attempts, lastStatus: 201, reference: reference, deleted: deleted)
    }

    private func failed(_ reason: String, retriable: Bool, notBefore: Timestamp? = nil) -> RequestTally.Ending {
        RequestTally.Ending(attempts: 3, lastStatus: 503, failure: reason, retriable: retriable, notBefore: notBefore)
    }

    @Test func theRequestIsAcceptedOnlyOnceEveryIdentifierWasTaken() {
        var tally = RequestTally(items: 3, identifiers: 4)
        tally.record(accepted(reference: "job-1"))
        tally.record(accepted(attempts: 2, reference: "job-2"))
        #expect(!tally.isComplete)
        tally.record(accepted(reference: "job-1"))
        #expect(tally.isComplete)
        let result = tally.result(for: vendor)
        #expect(result.status == .accepted)
        #expect(result.identifiers == 4)
        #expect(result.attempts == 2)
        #expect(result.reference == "job-1,job-2")
        #expect(result.error == nil)
    }

    /// A job vendor's accepted erasure is followed by the id its answer named; one that named none, or an id that
    /// holds the comma the references are joined with, is counted as a job nobody can follow.
    @Test func aJobIdThatCannotBeFollowedIsCounted() {
        var tally = RequestTally(items: 3, identifiers: 3)
        tally.record(RequestTally.Ending(attempts: 1, lastStatus: 200, reference: "job-1", namesJob: true))
        tally.record(RequestTally.Ending(attempts: 1, lastStatus: 200, reference: "job-2,job-3", namesJob: true))
        tally.record(RequestTally.Ending(attempts: 1, lastStatus: 200, reference: nil, namesJob: true))
        let result = tally.result(for: vendor)
        #expect(result.status == .accepted)
        #expect(result.reference == "job-1")
        #expect(result.untracedJobs == 2)
        // A vendor that erases at once keeps any reference its answer gives.
        var plain = RequestTally(items: 1, identifiers: 1)
        plain.record(accepted(reference: "a,b"))
        #expect(plain.result(for: vendor).reference == "a,b")
        #expect(plain.result(for: vendor).untracedJobs == nil)
    }

    @Test func oneFailedIdentifierFailsTheRequest() {
        var tally = RequestTally(items: 2, identifiers: 2)
        tally.record(accepted())
        tally.record(failed("HTTP 400", retriable: false))
        let result = tally.result(for: vendor)
        #expect(result.status == .failed)
        #expect(result.error == "HTTP 400")
        #expect(!result.retriesExhausted)
    }

    @Test func aPermanentFailureOutweighsARetriableOneWhicheverComesFirst() {
        for permanentFirst in [true, false] {
            var tally = RequestTally(items: 2, identifiers: 2)
            let endings = [failed("HTTP 400", retriable: false), failed("timeout", retriable: true)]
            for ending in permanentFirst ? endings : endings.reversed() { tally.record(ending) }
            let result = tally.result(for: vendor)
            #expect(result.error == "HTTP 400")
            #expect(!result.retriesExhausted, "a request no retry can complete is not parked")
        }
    }

    @Test func aRetriableFailureCarriesTheLatestTimeTheVendorAllows() {
        let early = Timestamp(millisecondsSinceEpoch: 1_000_000)
        let late = Timestamp(millisecondsSinceEpoch: 2_000_000)
        var tally = RequestTally(items: 2, identifiers: 2)
        tally.record(failed("HTTP 429", retriable: true, notBefore: late))
        tally.record(failed("HTTP 429", retriable: true, notBefore: early))
        let result = tally.result(for: vendor)
        #expect(result.retriesExhausted)
        #expect(result.notBefore == late)
    }

    @Test func deletedCountsSaturateInsteadOfOverflowing() {
        var tally = RequestTally(items: 2, identifiers: 2)
        tally.record(accepted(deleted: CallResult.maxDeletedCount))
        tally.record(accepted(deleted: CallResult.maxDeletedCount))
        #expect(tally.result(for: vendor).deleted == CallResult.maxDeletedCount)
    }

    @Test func referencesStopGrowingAtWhatARetryHeaderMayCarry() {
        let count = 500
        var tally = RequestTally(items: count, identifiers: count)
        for index in 0..<count { tally.record(accepted(reference: "reference-\(index)")) }
        let reference = tally.result(for: vendor).reference ?? ""
        #expect(reference.utf8.count <= RequestProgress.maxTextLength)
        #expect(reference.hasPrefix("reference-0,reference-1,"))
    }
}

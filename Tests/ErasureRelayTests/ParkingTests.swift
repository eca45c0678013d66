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

@Suite("Request progress headers")
struct RequestProgressTests {
    let source = Outcome.Source(topic: "user-erasure", partition: 3, offset: 1234)

    func message(_ headers: [KafkaHeader]) -> KafkaMessage {
        KafkaMessage(
            topicPartition: TopicPartition(topic: "user-erasure-retry", partition: 0),
            offset: 7,
            key: nil,
            value: [],
            headers: headers
        )
    }

    @Test func surviveTheTripThroughKafkaHeaders() throws {
        let progress = RequestProgress(
            receivedAt: Timestamp(millisecondsSinceEpoch: 1_800_000_000_123),
            source: source,
            parks: 2,
            notBefore: Timestamp(millisecondsSinceEpoch: 1_800_000_060_000),
            pendingVendors: [.moengage, .engagelab],
            results: [VendorResult(vendor: .braze, status: .accepted, attempts: 1, httpStatus: 201, identifiers: 2)]
        )
        #expect(try RequestProgress(headers: progress.headers) == progress)
        #expect(RequestProgress.notBefore(of: message(progress.headers)) == progress.notBefore)
    }

    @Test func aMessageWithoutProgressIsAFreshRequest() throws {
        #expect(try RequestProgress(headers: [KafkaHeader(name: "traceparent", value: "00-abc")]) == nil)
    }

    @Test(
        "Unreadable progress names the header",
        arguments: [
            (RequestProgress.Header.parks, "-1"),
            (RequestProgress.Header.receivedAt, "yesterday"),
            (RequestProgress.Header.sourceOffset, "x"),
            (RequestProgress.Header.pendingVendors, "braze,mailchimp"),
            (RequestProgress.Header.results, "{"),
            // Counts that would overflow once added to this pass's, or texts too long for an outcome.
            (
                RequestProgress.Header.results,
                #"[{"vendor":"braze","status":"failed","attempts":9223372036854775807,"identifiers":1}]"#
            ),
            (RequestProgress.Header.results, #"[{"vendor":"braze","status":"failed","attempts":1,"identifiers":-1}]"#),
            (
                RequestProgress.Header.results,
                #"[{"vendor":"braze","status":"failed","attempts":1,"identifiers":1,"http_status":0}]"#
            ),
            (
                RequestProgress.Header.results,
                #"[{"vendor":"braze","status":"failed","attempts":1,"identifiers":1,"error":"\#(String(repeating: "x", count: 1001))"}]"#
            ),
            (RequestProgress.Header.notBefore, "soon"),
        ]
    )
    func unreadableProgressNamesTheHeader(header: String, value: String) {
        let headers =
            RequestProgress(receivedAt: .now(), source: source, parks: 1, pendingVendors: [.braze]).headers
            .filter { $0.name != header } + [KafkaHeader(name: header, value: value)]
        let rejection = #expect(throws: RequestRejection.self) { try RequestProgress(headers: headers) }
        #expect(rejection?.code == .invalidHeader)
        #expect(rejection?.field == header)
    }

    @Test func attemptsAddUpOverPassesAndTheLatestResultWins() {
        let progress = RequestProgress(
            receivedAt: .now(),
            source: source,
            results: [
                VendorResult(vendor: .braze, status: .accepted, attempts: 1),
                VendorResult(
                    vendor: .moengage,
                    status: .failed,
                    attempts: 4,
                    error: "retries exhausted",
                    retriesExhausted: true
                ),
            ]
        )
        let merged = progress.merging([VendorResult(vendor: .moengage, status: .accepted, attempts: 2, httpStatus: 200)]
        )
        #expect(merged.map(\.vendor) == [.braze, .moengage])
        #expect(merged[1].status == .accepted)
        #expect(merged[1].attempts == 6)
        #expect(merged[1].error == nil)
    }
}

@Suite("Dead-letter replay")
struct DeadLetterReplayTests {
    let request = Array(
        #"{"request_id":"r-1","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"external_id":"u-1"}}"#
            .utf8
    )

    func deadLetter(_ headers: [KafkaHeader], value: [UInt8]? = nil) -> KafkaMessage {
        KafkaMessage(
            topicPartition: TopicPartition(topic: "user-erasure-dlq", partition: 1),
            offset: 42,
            key: Array("r-1".utf8),
            value: value ?? request,
            headers: [KafkaHeader(name: "traceparent", value: "00-abc")] + headers
        )
    }

    @Test func aFailedRequestIsRetriedForItsFailedVendorsOnly() throws {
        let source = Outcome.Source(topic: "user-erasure", partition: 3, offset: 9)
        let progress = RequestProgress(
            receivedAt: Timestamp(millisecondsSinceEpoch: 1_000),
            source: source,
            parks: 5,
            pendingVendors: [.moengage],
            results: [VendorResult(vendor: .braze, status: .accepted, attempts: 1)]
        )
        let errors = [KafkaHeader(name: DeadLetterHeader.errorCode, value: "retries_exhausted")]
        let signed = testSigner.signing(value: request, headers: progress.headers + errors)
        let record = DeadLetterReplay(selection: .init(), signer: testSigner).read(deadLetter(signed), now: .now())
        #expect(record.requestID == "r-1")
        #expect(record.errorCode == "retries_exhausted")
        #expect(record.source == source)
        let headers = try record.replay.get()
        #expect(headers.first == KafkaHeader(name: "traceparent", value: "00-abc"))
        #expect(!headers.contains { $0.name == DeadLetterHeader.errorCode })
        var fresh = progress
        fresh.parks = 0
        #expect(try RequestProgress(headers: headers) == fresh)
    }

    @Test func aRejectedMessageIsReadAgainAsANewRequestFromItsOriginalPlace() throws {
        let headers = [
            KafkaHeader(name: DeadLetterHeader.errorCode, value: "unknown_vendor"),
            KafkaHeader(name: RequestProgress.Header.sourceTopic, value: "user-erasure"),
            KafkaHeader(name: RequestProgress.Header.sourcePartition, value: "2"),
            KafkaHeader(name: RequestProgress.Header.sourceOffset, value: "77"),
        ]
        let now = Timestamp(millisecondsSinceEpoch: 5_000)
        let record = DeadLetterReplay(selection: .init(), signer: testSigner).read(
            deadLetter(headers, value: Array("{".utf8)),
            now: now
        )
        #expect(record.requestID == nil)
        let progress = try #require(try RequestProgress(headers: record.replay.get()))
        #expect(
            progress == RequestProgress(receivedAt: now, source: .init(topic: "user-erasure", partition: 2, offset: 77))
        )
    }

    @Test func selectsByRequestIDAndErrorCode() {
        let record = DeadLetterReplay(selection: .init(), signer: testSigner).read(
            deadLetter([KafkaHeader(name: DeadLetterHeader.errorCode, value: "deadline_passed")]),
            now: .now()
        )
        #expect(DeadLetterReplay(selection: .init(), signer: testSigner).selects(record))
        #expect(DeadLetterReplay(selection: .init(requestIDs: ["r-1"]), signer: testSigner).selects(record))
        #expect(!DeadLetterReplay(selection: .init(requestIDs: ["r-2"]), signer: testSigner).selects(record))
        #expect(
            DeadLetterReplay(selection: .init(errorCodes: ["deadline_passed", "vendor_failed"]), signer: testSigner)
                .selects(record)
        )
        #expect(
            !DeadLetterReplay(selection: .init(requestIDs: ["r-1"], errorCodes: ["vendor_failed"]), signer: testSigner)
                .selects(record)
        )
    }
}

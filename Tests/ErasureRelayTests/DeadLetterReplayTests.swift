import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Testing

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

import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Testing

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

    /// A retry-topic record is verified once, when it is read: its progress is trusted only under one of the relay's
    /// keys, and the rejection names what is wrong.
    @Test func aRetryRecordIsTrustedOnlyWhenSignedAndReadable() throws {
        let progress = RequestProgress(
            receivedAt: Timestamp(millisecondsSinceEpoch: 1_800_000_000_123),
            source: source,
            parks: 1,
            notBefore: Timestamp(millisecondsSinceEpoch: 1_800_000_060_000),
            pendingVendors: [.moengage],
            results: [VendorResult(vendor: .braze, status: .accepted, attempts: 1, httpStatus: 201, identifiers: 1)]
        )
        let signed = testSigner.signing(value: [], headers: progress.headers)
        #expect(try RetryRecord.verifying(message(signed), signer: testSigner).get().progress == progress)

        let otherKey = RecordSigner(keys: [Secret("another-relay-entirely-0123456789abcdef")])
        for forged in [message(progress.headers), message(otherKey.signing(value: [], headers: progress.headers))] {
            guard case .failure(let rejection) = RetryRecord.verifying(forged, signer: testSigner) else {
                Issue.record("a record the relay did not sign was trusted")
                continue
            }
            #expect(rejection.code == .invalidSignature)
            #expect(rejection.field == RecordSigner.header)
        }

        var unreadable = progress.headers.filter { $0.name != RequestProgress.Header.parks }
        unreadable.append(KafkaHeader(name: RequestProgress.Header.parks, value: "many"))
        guard
            case .failure(let rejection) = RetryRecord.verifying(
                message(testSigner.signing(value: [], headers: unreadable)),
                signer: testSigner
            )
        else {
            Issue.record("unreadable progress was trusted")
            return
        }
        #expect(rejection.field == RequestProgress.Header.parks)
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
            (RequestProgress.Header.pendingVendors, "braze,Mail Chimp"),
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

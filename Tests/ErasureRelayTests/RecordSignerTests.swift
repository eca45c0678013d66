import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Testing

/// A signed record is how parked work proves which vendors already took the erasure: whoever can write to a topic
/// must not be able to make one the relay trusts.
@Suite("Record signatures")
struct RecordSignerTests {
    static let current = Secret("current-key-0123456789abcdef0123456789")
    static let old = Secret("old-key-0123456789abcdef0123456789abcd")
    static let attacker = Secret("attacker-key-0123456789abcdef012345678")

    let value = Array(#"{"request_id":"r-1"}"#.utf8)
    let headers = [
        KafkaHeader(name: "traceparent", value: "00-abc"),
        KafkaHeader(name: "erasure-relay-results", value: "braze=accepted"),
        KafkaHeader(name: "erasure-relay-pending", value: "moengage"),
    ]

    func signed(by key: Secret) -> [KafkaHeader] {
        RecordSigner(keys: [key]).signing(value: value, headers: headers)
    }

    func signature(in headers: [KafkaHeader]) -> String {
        String(decoding: headers.first { $0.name == RecordSigner.header }?.value ?? [], as: UTF8.self)
    }

    func replacingSignature(of headers: [KafkaHeader], with text: String) -> [KafkaHeader] {
        headers.filter { $0.name != RecordSigner.header } + [KafkaHeader(name: RecordSigner.header, value: text)]
    }

    @Test func aRecordItsKeySignedIsValidAndNoOtherKeysIs() {
        let verifier = RecordSigner(keys: [Self.current])
        #expect(verifier.isValid(value: value, headers: signed(by: Self.current)))
        #expect(!verifier.isValid(value: value, headers: signed(by: Self.attacker)))
        #expect(!verifier.isValid(value: value, headers: headers), "an unsigned record")
    }

    @Test func aRotatedKeyStillVerifiesWhatItSignedUntilItIsDropped() {
        let rotated = RecordSigner(keys: [Self.current, Self.old])
        #expect(rotated.isValid(value: value, headers: signed(by: Self.old)))
        #expect(rotated.isValid(value: value, headers: signed(by: Self.current)))
        // The first key signs: what the rotated ring writes, the old key alone cannot verify.
        let written = rotated.signing(value: value, headers: headers)
        #expect(signature(in: written) == signature(in: signed(by: Self.current)))
        #expect(!RecordSigner(keys: [Self.old]).isValid(value: value, headers: written))
        #expect(!RecordSigner(keys: [Self.current]).isValid(value: value, headers: signed(by: Self.old)))
    }

    @Test func aTamperedValueOrOwnHeaderIsInvalid() {
        let verifier = RecordSigner(keys: [Self.current])
        let good = signed(by: Self.current)
        #expect(!verifier.isValid(value: value + [0x20], headers: good))
        var tampered = good
        tampered[1] = KafkaHeader(name: "erasure-relay-results", value: "braze=accepted,moengage=accepted")
        #expect(!verifier.isValid(value: value, headers: tampered))
        #expect(!verifier.isValid(value: value, headers: good.filter { $0.name != "erasure-relay-pending" }))
        #expect(!verifier.isValid(value: value, headers: good + [good[1]]), "an own header given twice")
        #expect(
            !verifier.isValid(
                value: value,
                headers: good + [KafkaHeader(name: "erasure-relay-results", value: "moengage=accepted")]
            ),
            "a second value of an own header"
        )
    }

    @Test func headersOfOtherSystemsMayBeAddedOrReordered() {
        let verifier = RecordSigner(keys: [Self.current])
        let good = signed(by: Self.current)
        #expect(verifier.isValid(value: value, headers: good.reversed()))
        #expect(verifier.isValid(value: value, headers: good + [KafkaHeader(name: "x-proxy", value: "1")]))
    }

    @Test func exactlyOneWellFormedSignatureIsAccepted() {
        let verifier = RecordSigner(keys: [Self.current])
        let good = signed(by: Self.current)
        let text = signature(in: good)
        #expect(!verifier.isValid(value: value, headers: good + [good.last!]), "the same signature twice")
        #expect(!verifier.isValid(value: value, headers: signed(by: Self.attacker) + [good.last!]), "two signatures")
        for malformed in [
            text.uppercased().replacingOccurrences(of: "V1=", with: "v1="), String(text.dropFirst(3)),
            "v2=" + text.dropFirst(3), text + "0", String(text.dropLast()), String(text.dropLast()) + "g", "", "v1=",
        ] {
            #expect(
                !verifier.isValid(value: value, headers: replacingSignature(of: good, with: malformed)),
                "\(malformed)"
            )
        }
    }

    @Test func signingReplacesASignatureTheRecordCarried() {
        let forged = signed(by: Self.attacker)
        let resigned = RecordSigner(keys: [Self.current]).signing(value: value, headers: forged)
        #expect(resigned.filter { $0.name == RecordSigner.header }.count == 1)
        #expect(RecordSigner(keys: [Self.current]).isValid(value: value, headers: resigned))
    }

    // MARK: Replay verifies before it signs

    let request = Array(
        #"{"request_id":"r-1","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"external_id":"u-1"}}"#
            .utf8
    )

    func deadLetter(_ headers: [KafkaHeader]) -> KafkaMessage {
        KafkaMessage(
            topicPartition: TopicPartition(topic: "user-erasure-dlq", partition: 0),
            offset: 7,
            key: nil,
            value: request,
            headers: headers
        )
    }

    var progress: [KafkaHeader] {
        RequestProgress(
            receivedAt: Timestamp(millisecondsSinceEpoch: 1_000),
            source: .init(topic: "user-erasure", partition: 0, offset: 3),
            parks: 2,
            pendingVendors: [.moengage],
            results: [VendorResult(vendor: .braze, status: .accepted, attempts: 1)]
        ).headers
    }

    @Test func replayTrustsProgressOnlyUnderAKeyOfItsRingAndSignsWithTheFirst() throws {
        let replay = DeadLetterReplay(selection: .init(), signer: RecordSigner(keys: [Self.current, Self.old]))
        // Signed by the old key: trusted, and written again under the current one.
        let byOld = RecordSigner(keys: [Self.old]).signing(value: request, headers: progress)
        let replayed = try replay.read(deadLetter(byOld), now: .now()).replay.get()
        #expect(RecordSigner(keys: [Self.current]).isValid(value: request, headers: replayed))
        // Signed by another key, tampered, unsigned or signed twice: never trusted, never signed into the retry topic.
        // (A header given twice is refused as malformed before its signature is read.)
        let byAttacker = RecordSigner(keys: [Self.attacker]).signing(value: request, headers: progress)
        var tampered = RecordSigner(keys: [Self.current]).signing(value: request, headers: progress)
        tampered.append(KafkaHeader(name: "erasure-relay-results", value: "moengage=accepted"))
        let twice = byOld + [byAttacker.last!]
        for (name, headers) in [
            ("another key", byAttacker), ("tampered", tampered), ("unsigned", progress), ("signed twice", twice),
        ] {
            guard case .failure(let rejection) = replay.read(deadLetter(headers), now: .now()).replay else {
                Issue.record("\(name): replayed")
                continue
            }
            #expect([.invalidSignature, .invalidHeader].contains(rejection.code), "\(name): \(rejection.code)")
        }
    }

    /// The digest in an outcome tells two requests under one id apart, stays the same for the same request, and
    /// holds nothing anyone without the key can test a guessed identifier against.
    @Test func theRequestDigestTellsRequestsApartAndNeedsTheKey() throws {
        let decoder = RequestDecoder()
        func request(_ email: String, vendors: [String]? = nil) throws -> ErasureRequest {
            var object: [String: Any] = [
                "request_id": "r-1", "regulation": "gdpr", "submitted_at": "2026-11-22T10:00:00Z",
                "subject": ["email": email],
            ]
            if let vendors { object["vendors"] = vendors }
            return try decoder.decode(Array(try JSONSerialization.data(withJSONObject: object))).get()
        }
        let signer = RecordSigner(keys: [Self.current])
        let digest = signer.digest(of: try request("a@example.com"))
        #expect(digest.count == 64 && digest.allSatisfy(\.isHexDigit))
        #expect(signer.digest(of: try request("a@example.com")) == digest)
        #expect(signer.digest(of: try request("b@example.com")) != digest)
        #expect(signer.digest(of: try request("a@example.com", vendors: ["braze"])) != digest)
        // An older key that only verifies does not change the digest; another signing key does.
        #expect(RecordSigner(keys: [Self.current, Self.old]).digest(of: try request("a@example.com")) == digest)
        #expect(RecordSigner(keys: [Self.attacker]).digest(of: try request("a@example.com")) != digest)
        #expect(signer.digest(ofMessage: Array("{not json".utf8)) != signer.digest(ofMessage: Array("{not json!".utf8)))
    }
}

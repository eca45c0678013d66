import ErasureRelay
import Foundation
import Kafka
import Prometheus
import Testing

@Suite("Outcome JSON")
struct OutcomeTests {
    @Test func writesEveryFieldOfTheSchemaWithNullsForAbsentValues() throws {
        let outcome = Outcome(
            requestID: nil,
            status: .rejected,
            regulation: nil,
            receivedAt: Timestamp(millisecondsSinceEpoch: 0),
            completedAt: Timestamp(millisecondsSinceEpoch: 1),
            deadline: nil,
            vendors: [],
            error: .init(RequestRejection(code: .invalidJSON, field: nil, message: "message is not valid JSON")),
            source: .init(topic: "user-erasure", partition: 3, offset: 1234)
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.jsonBytes())) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "request_id", "request_digest", "status", "regulation", "submitted_at", "received_at", "completed_at",
                "deadline",
                "vendors", "error", "source",
            ]
        )
        #expect(object["request_id"] is NSNull)
        #expect(object["request_digest"] is NSNull)
        #expect(object["submitted_at"] is NSNull)
        #expect(object["status"] as? String == "rejected")
        #expect(object["received_at"] as? String == "1970-01-01T00:00:00.000Z")
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? String == "invalid_json")
        #expect(error["field"] is NSNull)
        let source = try #require(object["source"] as? [String: Any])
        #expect(source["partition"] as? Int == 3)
        #expect(source["offset"] as? Int == 1234)
    }

    /// The outcome's own writer says what `JSONEncoder` would, texts that need escaping included.
    @Test func writesWhatTheEncoderWouldWrite() throws {
        let awkward = "quote \" backslash \\ slash / newline \n tab \t nul \u{0} bell \u{7} é 😀 \u{2028}"
        let outcomes = [
            Outcome(
                requestID: awkward,
                status: .failed,
                regulation: .ccpa,
                submittedAt: Timestamp(millisecondsSinceEpoch: 1_700_000_000_123),
                receivedAt: Timestamp(millisecondsSinceEpoch: 1_700_000_001_000),
                completedAt: Timestamp(millisecondsSinceEpoch: 1_700_000_002_000),
                deadline: Timestamp(millisecondsSinceEpoch: 1_800_000_000_000),
                vendors: [
                    VendorResult(
                        vendor: .braze,
                        status: .accepted,
                        attempts: 2,
                        httpStatus: 201,
                        identifiers: 3,
                        deleted: 3
                    ),
                    VendorResult(
                        vendor: .engagelab,
                        status: .failed,
                        attempts: 8,
                        httpStatus: nil,
                        identifiers: 1,
                        reference: awkward,
                        error: awkward
                    ),
                ],
                error: .init(code: "retries_exhausted", field: awkward, message: awkward),
                source: .init(topic: "user-erasure-retry", partition: 11, offset: 9_000_000_000)
            ),
            Outcome(
                requestID: nil,
                status: .rejected,
                regulation: nil,
                receivedAt: Timestamp(millisecondsSinceEpoch: 0),
                completedAt: Timestamp(millisecondsSinceEpoch: 1),
                deadline: nil,
                vendors: [],
                error: nil,
                source: .init(topic: "t", partition: 0, offset: 0)
            ),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for outcome in outcomes {
            let written = try JSONSerialization.jsonObject(with: Data(outcome.jsonBytes())) as? NSDictionary
            let encoded = try JSONSerialization.jsonObject(with: try encoder.encode(outcome)) as? NSDictionary
            #expect(written != nil && written == encoded)
            #expect(try JSONDecoder().decode(Outcome.self, from: Data(outcome.jsonBytes())) == outcome)
        }
    }

    @Test func vendorResultsCarryCountsNotIdentifiers() throws {
        let result = VendorResult(
            vendor: .moengageGDPR,
            status: .accepted,
            attempts: 2,
            httpStatus: 200,
            identifiers: 3,
            reference: "ref-1"
        )
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as? [String: Any]
        )
        #expect(object["vendor"] as? String == "moengage_gdpr")
        #expect(object["identifiers"] as? Int == 3)
        #expect(object["error"] is NSNull)
        #expect(object["deleted"] == nil)
    }
}

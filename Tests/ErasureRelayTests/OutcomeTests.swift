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
                "request_id", "status", "regulation", "submitted_at", "received_at", "completed_at", "deadline",
                "vendors", "error", "source",
            ]
        )
        #expect(object["request_id"] is NSNull)
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

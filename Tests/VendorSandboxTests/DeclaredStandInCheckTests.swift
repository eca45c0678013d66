import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Foundation
import Testing
import VendorSandbox

@Suite("A declared vendor's stand-in reads calls as the definition makes them")
struct DeclaredStandInCheckTests {
    private static func received(_ call: VendorCall) -> SandboxCall {
        let parts = call.pathAndQuery.split(separator: "?", maxSplits: 1).map(String.init)
        var headers: [String: String] = [:]
        for (name, value) in call.headers { headers[name.lowercased()] = value }
        return SandboxCall(
            method: call.method.rawValue,
            rawPath: parts[0],
            rawQuery: parts.count > 1 ? parts[1] : nil,
            headers: headers,
            body: call.body ?? []
        )
    }

    private static func definition(_ file: String) throws -> (HTTPVendorDefinition, any VendorAdapter) {
        let settings = try exampleVendor(file).1
        let definition = try #require(settings.account as? HTTPVendorDefinition)
        return (definition, settings.makeAdapter())
    }

    private static func request(_ index: Int, _ subject: Subject) -> ErasureRequest {
        ErasureRequest(requestID: "r-\(index)", regulation: .gdpr, submittedAt: .now(), subject: subject)
    }

    @Test func aBatchIsReadBackIdentifierByIdentifier() throws {
        let (definition, adapter) = try Self.definition("braze.yaml")
        let now = Timestamp.now()
        let items = (0..<3).flatMap { adapter.items(for: Self.request($0, Subject(email: "p\($0)@example.com"))) }
        let call = Self.received(adapter.call(for: items, now: now))
        #expect(
            definition.check(call, maxItems: 50, maxBytes: nil)
                == .deletes([
                    StandInVerdict.Deletion(
                        name: "email_addresses",
                        values: ["p0@example.com", "p1@example.com", "p2@example.com"]
                    )
                ])
        )
        #expect(definition.check(call, maxItems: 2, maxBytes: nil) == .malformed("more than 2 identifiers in one call"))

        var wrongKey = call
        wrongKey.headers["authorization"] = "Bearer another-key"
        guard case .unauthorized = definition.check(wrongKey, maxItems: 50, maxBytes: nil) else {
            Issue.record("a wrong key must be refused")
            return
        }
        var mixed = call
        mixed.body = Array(
            #"{"email_addresses":[{"email":"a@b.co","prioritization":["identified","most_recently_updated"]},"u-1"]}"#
                .utf8
        )
        #expect(
            definition.check(mixed, maxItems: 50, maxBytes: nil)
                == .malformed("an item of email_addresses does not have its own template's shape")
        )
        var extraKey = call
        extraKey.body = Array(#"{"external_ids":["u-1"],"braze_ids":["b-1"]}"#.utf8)
        guard case .malformed = definition.check(extraKey, maxItems: 50, maxBytes: nil) else {
            Issue.record("two kinds in one body must be refused")
            return
        }
        var wrongPath = call
        wrongPath.rawPath = "/users/delete/"
        guard case .malformed = definition.check(wrongPath, maxItems: 50, maxBytes: nil) else {
            Issue.record("another path must be refused")
            return
        }
        var query = call
        query.rawQuery = "debug=1"
        guard case .malformed = definition.check(query, maxItems: 50, maxBytes: nil) else {
            Issue.record("an unexpected query must be refused")
            return
        }
    }

    @Test func pathQueryAndSubjectCallsAreReadBack() throws {
        let (engagelab, engagelabAdapter) = try Self.definition("engagelab.yaml")
        let device = engagelabAdapter.items(for: Self.request(0, Subject(engagelabRegistrationIDs: ["reg-1"])))
        let delete = Self.received(engagelabAdapter.call(for: device, now: .now()))
        #expect(
            engagelab.check(delete, maxItems: 1, maxBytes: nil)
                == .deletes([StandInVerdict.Deletion(name: "registration_id", values: ["reg-1"])])
        )
        var post = delete
        post.method = "POST"
        #expect(engagelab.check(post, maxItems: 1, maxBytes: nil) == .malformed("method must be DELETE"))
        var unencoded = delete
        unencoded.rawPath = "/v4/devices/reg.1"
        #expect(engagelab.check(unencoded, maxItems: 1, maxBytes: nil) == .malformed("path does not match request.url"))

        let (moengage, moengageAdapter) = try Self.definition("moengage.yaml")
        let user = moengageAdapter.items(for: Self.request(0, Subject(externalID: "u 1")))
        var bulk = Self.received(moengageAdapter.call(for: user, now: .now()))
        #expect(
            moengage.check(bulk, maxItems: 1, maxBytes: nil)
                == .deletes([StandInVerdict.Deletion(name: "customer_id", values: ["u 1"])])
        )
        bulk.rawQuery = "app_id=ANOTHER"
        guard case .malformed = moengage.check(bulk, maxItems: 1, maxBytes: nil) else {
            Issue.record("another app id must be refused")
            return
        }

        let (iterable, iterableAdapter) = try Self.definition("iterable.yaml")
        let subject = iterableAdapter.items(for: Self.request(0, Subject(externalID: "u-1", email: "a@b.co")))
        var forget = Self.received(iterableAdapter.call(for: subject, now: .now()))
        #expect(
            iterable.check(forget, maxItems: 1, maxBytes: nil)
                == .deletes([
                    StandInVerdict.Deletion(name: "email", values: ["a@b.co"]),
                    StandInVerdict.Deletion(name: "user_id", values: ["u-1"]),
                ])
        )
        forget.headers["content-type"] = "text/plain"
        guard case .malformed = iterable.check(forget, maxItems: 1, maxBytes: nil) else {
            Issue.record("another content type must be refused")
            return
        }
    }

    @Test func theStandInsAnswersReadAsTheDefinitionIntends() throws {
        for file in ["braze.yaml", "moengage.yaml", "moengage_gdpr.yaml", "engagelab.yaml", "customerio.yaml"] {
            let (definition, adapter) = try Self.definition(file)
            let accepted = try #require(
                definition.answer(accepting: false, reference: "ref-1", deleted: 7),
                "\(file)"
            )
            let response = VendorResponse(
                status: accepted.status,
                headers: .init(accepted.headers),
                body: Array(accepted.body.utf8)
            )
            guard case .accepted(_, let deleted, nil) = adapter.classify(response) else {
                Issue.record("\(file): \(accepted) is not read as accepted")
                continue
            }
            // Only the Braze twin reads a count.
            #expect(deleted == (file == "braze.yaml" ? 7 : nil), "\(file)")
            let limited = definition.rateLimitedAnswer(
                waitSeconds: 3,
                resetEpochSeconds: Int(Date().timeIntervalSince1970) + 3
            )
            let limitedResponse = VendorResponse(
                status: 429,
                headers: .init(limited.headers),
                body: Array(limited.body.utf8)
            )
            guard case .retriable(_, let wait?) = adapter.classify(limitedResponse), (2...4).contains(wait) else {
                Issue.record("\(file): a 429 is not read with its wait")
                continue
            }
        }
        let (gdpr, gdprAdapter) = try Self.definition("moengage_gdpr.yaml")
        let answer = try #require(gdpr.answer(accepting: false, reference: "ref-7"))
        let classified = gdprAdapter.classify(VendorResponse(status: answer.status, body: Array(answer.body.utf8)))
        #expect(classified == .accepted(reference: "ref-7", deleted: nil, note: nil))
        let (engagelab, engagelabAdapter) = try Self.definition("engagelab.yaml")
        let gone = try #require(engagelab.answer(accepting: true, reference: ""))
        #expect(
            engagelabAdapter.classify(VendorResponse(status: gone.status, body: Array(gone.body.utf8)))
                == .accepted(reference: nil, deleted: nil, note: VendorText.notFound)
        )
    }
}

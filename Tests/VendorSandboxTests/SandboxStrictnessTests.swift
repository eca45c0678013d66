import AsyncHTTPClient
import ErasureRelayTestSupport
import Foundation
import NIOHTTP1
import Testing
import VendorSandbox

@Suite("Vendor sandbox strictness", .timeLimit(.minutes(1)))
struct SandboxStrictnessTests {
    let http = RawHTTP()
    static let brazeAuth = ("Authorization", "Bearer sandbox-braze-key")
    static let json = ("Content-Type", "application/json")

    static func basic(_ user: String, _ password: String) -> (String, String) {
        ("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
    }

    /// A call the stand-in must refuse as the real API does, and the rule that makes the API refuse it.
    struct Refusal {
        var method: HTTPMethod = .POST
        var url: String
        var headers: [(String, String)]
        var body: String?
        var status: Int
        var rule: Comment
    }

    func expectRefused(_ refusals: [Refusal]) async throws {
        for refusal in refusals {
            let answer = try await http.call(refusal.method, refusal.url, headers: refusal.headers, body: refusal.body)
            #expect(answer.status == refusal.status, refusal.rule)
        }
    }

    @Test func brazeEnforcesAuthKindsAndBatchSize() async throws {
        try await withSandbox { sandbox async throws in
            let url = await sandbox.baseURLs()[.braze]! + "/users/delete"
            let ok = try await http.call(
                .POST,
                url,
                headers: [Self.brazeAuth, Self.json],
                body: #"{"external_ids":["a","b"]}"#
            )
            #expect(ok.status == 201)
            #expect(ok.body.contains(#""deleted":2"#))
            #expect(ok.headers.first(name: "X-RateLimit-Limit") == "20000")
            let fiftyOne = (0..<51).map { "\"u\($0)\"" }.joined(separator: ",")
            let valid = [Self.brazeAuth, Self.json]
            try await expectRefused([
                Refusal(url: url, headers: [Self.json], body: #"{"external_ids":["a"]}"#, status: 401, rule: "no key"),
                Refusal(
                    url: url,
                    headers: [("Authorization", "Bearer wrong"), Self.json],
                    body: #"{"external_ids":["a"]}"#,
                    status: 404,
                    rule: "an unknown key is answered as an unknown path"
                ),
                Refusal(method: .GET, url: url, headers: [Self.brazeAuth], status: 405, rule: "POST only"),
                Refusal(
                    url: url,
                    headers: [Self.brazeAuth],
                    body: #"{"external_ids":["a"]}"#,
                    status: 400,
                    rule: "JSON content type required"
                ),
                Refusal(
                    url: url,
                    headers: valid,
                    body: #"{"external_ids":["a"],"braze_ids":["b"]}"#,
                    status: 400,
                    rule: "one identifier kind per call"
                ),
                Refusal(
                    url: url,
                    headers: valid,
                    body: "{\"external_ids\":[\(fiftyOne)]}",
                    status: 400,
                    rule: "at most 50 identifiers"
                ),
                Refusal(
                    url: url,
                    headers: valid,
                    body: #"{"email_addresses":["a@b.co"]}"#,
                    status: 400,
                    rule: "email addresses are objects with a prioritization"
                ),
                Refusal(
                    url: url,
                    headers: valid,
                    body: #"{"email_addresses":[{"email":"a@b.co","prioritization":["identified","unidentified"]}]}"#,
                    status: 400,
                    rule: "a prioritization names identified or unidentified, not both"
                ),
            ])
            let record = await sandbox.record(of: .braze)
            #expect(record.deleted == ["external_ids": ["a", "b"]])
            #expect(record.acceptedCalls == 1)
            #expect(record.malformedCalls == 8)
        }
    }

    @Test func moengageEnforcesWorkspaceAndBodyAndReportsUnknownUsers() async throws {
        try await withSandbox { sandbox async throws in
            let base = await sandbox.baseURLs()[.moengage]! + "/v1/customer/delete/bulk"
            let auth = Self.basic("SANDBOXWORKSPACE", "sandbox-moengage-key")
            let url = base + "?app_id=SANDBOXWORKSPACE"
            let customer = #"{"identity_type":"customer_id","identity_value":"u1"}"#
            #expect(try await http.call(.POST, url, headers: [auth, Self.json], body: customer).status == 200)
            try await expectRefused([
                Refusal(url: base, headers: [auth, Self.json], body: customer, status: 403, rule: "app_id required"),
                Refusal(
                    url: url,
                    headers: [Self.basic("SANDBOXWORKSPACE", "x"), Self.json],
                    body: customer,
                    status: 401,
                    rule: "wrong key"
                ),
                Refusal(
                    url: url,
                    headers: [auth, Self.json],
                    body: #"{"identity_type":"email","identity_value":"u1"}"#,
                    status: 400,
                    rule: "customer_id or moengage_id only"
                ),
                Refusal(
                    url: url,
                    headers: [auth, Self.json],
                    body: "[\(customer)]",
                    status: 400,
                    rule: "one user per call, as an object"
                ),
            ])
            let unknown = try await http.call(
                .POST,
                url,
                headers: [auth, Self.json],
                body: #"{"identity_type":"customer_id","identity_value":"unknown-7"}"#
            )
            #expect(unknown.status == 400)
            #expect(unknown.body.contains(#""type":"Not Found""#))
            #expect(await sandbox.record(of: .moengage).deleted == ["customer_id": ["u1"]])
        }
    }

    @Test func moengageGDPRRejectsPayloadsOver128KB() async throws {
        try await withSandbox { sandbox async throws in
            let url = await sandbox.baseURLs()[.moengageGDPR]! + "/v1/opengdpr_requests/SANDBOXAPP"
            let auth = Self.basic("SANDBOXAPP", "sandbox-gdpr-key")
            func body(_ identities: Int, valueLength: Int = 8) -> String {
                let value = String(repeating: "v", count: valueLength)
                let list = (0..<identities).map { #"{"identity_type":"ID","identity_value":"\#(value)\#($0)"}"# }
                return
                    #"{"request_type":"erasure","submitted_time":"2026-11-22T10:00:00Z","api_version":"1.0","identities":["#
                    + list.joined(separator: ",") + "]}"
            }
            let ok = try await http.call(.POST, url, headers: [auth, Self.json], body: body(3))
            #expect(ok.status == 200)
            #expect(ok.body.contains("request_id"))
            let tooLarge = try await http.call(
                .POST,
                url,
                headers: [auth, Self.json],
                body: body(200, valueLength: 700)
            )
            #expect(tooLarge.status == 413)
            #expect(tooLarge.body.contains("Payload can not exceed 128KB."))
            #expect(try await http.call(.POST, url, headers: [auth], body: body(1)).status == 415)
            #expect(
                try await http.call(
                    .POST,
                    url,
                    headers: [auth, Self.json],
                    body: #"{"request_type":"erasure","api_version":"1.0","identities":[]}"#
                ).status == 400
            )
            #expect(await sandbox.record(of: .moengageGDPR).deleted["identities"]?.count == 3)
        }
    }

    @Test func engagelabRequiresAnEncodedSingleSegment() async throws {
        try await withSandbox { sandbox async throws in
            let base = await sandbox.baseURLs()[.engagelab]! + "/v4/devices/"
            let auth = Self.basic("sandbox-app-key", "sandbox-master-secret")
            #expect(try await http.call(.DELETE, base + "reg-1", headers: [auth]).status == 200)
            #expect(try await http.call(.DELETE, base + "a%2Fb%3F", headers: [auth]).status == 200)
            #expect(try await http.call(.DELETE, base + "a/b", headers: [auth]).status == 400)
            #expect(try await http.call(.DELETE, base + "%2E%2E", headers: [auth]).status == 400)
            #expect(try await http.call(.POST, base + "reg-1", headers: [auth]).status == 405)
            #expect(try await http.call(.DELETE, base + "reg-1", headers: [Self.basic("x", "y")]).status == 401)
            #expect(await sandbox.record(of: .engagelab).deleted == ["registration_id": ["reg-1", "a/b?"]])
        }
    }

    @Test func answers429BeyondTheQuotaAndCountsTheViolation() async throws {
        var configuration = SandboxConfiguration()
        configuration.quotas[.engagelab] = .init(requests: 3, windowSeconds: 30)
        try await withSandbox(configuration) { sandbox async throws in
            let url = await sandbox.baseURLs()[.engagelab]! + "/v4/devices/r"
            let auth = Self.basic("sandbox-app-key", "sandbox-master-secret")
            var statuses: [Int] = []
            var retryAfter: String?
            for _ in 0..<5 {
                let answer = try await http.call(.DELETE, url, headers: [auth])
                statuses.append(answer.status)
                retryAfter = answer.headers.first(name: "Retry-After") ?? retryAfter
            }
            #expect(statuses == [200, 200, 200, 429, 429])
            #expect(Int(retryAfter ?? "") ?? 0 > 0)
            let record = await sandbox.record(of: .engagelab)
            #expect(record.quotaViolations == 2)
            #expect(record.peakCallsInWindow == 3)
        }
    }

    @Test func injectsFaultsInOrderAndServesItsRecordOverHTTP() async throws {
        try await withSandbox { sandbox async throws in
            let base = await sandbox.baseURLs()[.engagelab]!
            let auth = Self.basic("sandbox-app-key", "sandbox-master-secret")
            _ = try await http.call(
                .POST,
                base + "/_sandbox/faults",
                headers: [Self.json],
                body: #"{"faults":[{"status":503,"retry_after":2},{"reset":true}]}"#
            )
            let first = try await http.call(.DELETE, base + "/v4/devices/r", headers: [auth])
            #expect(first.status == 503)
            #expect(first.headers.first(name: "Retry-After") == "2")
            await #expect(throws: (any Error).self) {
                try await http.call(.DELETE, base + "/v4/devices/r", headers: [auth])
            }
            #expect(try await http.call(.DELETE, base + "/v4/devices/r", headers: [auth]).status == 200)
            let record = try await http.call(.GET, base + "/_sandbox/record")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(record.body.utf8)) as? [String: Any])
            #expect(object["calls"] as? Int == 3)
            #expect(object["injected_faults"] as? Int == 2)
            #expect((object["deleted"] as? [String: [String]])?["registration_id"] == ["r"])
        }
    }
}

import ErasureRelay
import Foundation
import NIOHTTP1
import Testing

@Suite("Vendor adapters")
struct VendorAdapterTests {
    static let userAgent = "erasure-relay/test"
    /// When a call is made.
    static let now = Timestamp(rfc3339: "2026-11-22T10:00:00Z")!
    /// When the request was submitted upstream: another instant, so that a test can tell which one a call carries.
    static let submitted = Timestamp(rfc3339: "2026-11-20T08:30:00Z")!

    static func request(_ subject: Subject) -> ErasureRequest {
        ErasureRequest(requestID: "r-1", regulation: .gdpr, submittedAt: submitted, subject: subject)
    }

    static let everyIdentifier = Subject(
        externalID: "u-1",
        brazeID: "b-1",
        moengageID: "m-1",
        email: "a@example.com",
        phone: "+15551234567",
        userAliases: [UserAlias(aliasName: "n", aliasLabel: "l")],
        engagelabRegistrationIDs: ["reg-1", "reg-2"],
        googleAdvertisingID: "gaid",
        advertisingIdentifier: "idfa"
    )

    private func header(_ call: VendorCall, _ name: String) -> String? {
        call.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    private func body(_ call: VendorCall) -> String { String(decoding: call.body ?? [], as: UTF8.self) }

    // MARK: Braze

    @Test func brazeSendsOneKindPerCallWithBearerAuth() {
        let adapter = BrazeAdapter(
            apiKey: Secret("brz"),
            emailPrioritization: ["identified", "most_recently_updated"],
            userAgent: Self.userAgent
        )
        let items = adapter.items(for: Self.request(Self.everyIdentifier))
        #expect(items.map(\.kind) == ["external_ids", "braze_ids", "user_aliases", "email_addresses", "phone_numbers"])
        let emailCall = adapter.call(for: [items[3]], now: Self.now)
        #expect(emailCall.method == .POST)
        #expect(emailCall.pathAndQuery == "/users/delete")
        #expect(header(emailCall, "Authorization") == "Bearer brz")
        #expect(header(emailCall, "Content-Type") == "application/json")
        #expect(header(emailCall, "User-Agent") == Self.userAgent)
        #expect(
            body(emailCall)
                == #"{"email_addresses":[{"email":"a@example.com","prioritization":["identified","most_recently_updated"]}]}"#
        )
        #expect(
            body(adapter.call(for: [items[2]], now: Self.now))
                == #"{"user_aliases":[{"alias_name":"n","alias_label":"l"}]}"#
        )
        let other = adapter.items(for: Self.request(Subject(externalID: "u-2")))
        #expect(body(adapter.call(for: [items[0], other[0]], now: Self.now)) == #"{"external_ids":["u-1","u-2"]}"#)
    }

    @Test func brazeBodiesEscapeHostileIdentifiers() throws {
        let adapter = BrazeAdapter(
            apiKey: Secret("k"),
            emailPrioritization: ["unidentified"],
            userAgent: Self.userAgent
        )
        let hostile = #"x","braze_ids":["all"],"y":"\"#
        let call = adapter.call(for: adapter.items(for: Self.request(Subject(externalID: hostile))), now: Self.now)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(call.body!)) as? [String: [String]])
        #expect(object == ["external_ids": [hostile]])
    }

    @Test(
        "Braze answers",
        arguments: [
            (201, #"{"deleted":2,"message":"success"}"#, "accepted"),
            (202, #"{"message":"queued"}"#, "accepted"),
            (201, #"{"message":"success","errors":["bad id"]}"#, "rejected-isolate"),
            (400, #"{"message":"Bad","errors":["too many"]}"#, "rejected-isolate"),
            (401, #"{"message":"Unauthorized"}"#, "rejected"),
            (404, #"{"message":"Not found"}"#, "rejected"),
            (429, #"{"message":"rate"}"#, "retriable"),
            (500, "", "retriable"),
            (503, "", "retriable"),
        ]
    )
    func brazeClassification(status: Int, body: String, expected: String) {
        let adapter = BrazeAdapter(apiKey: Secret("k"), emailPrioritization: ["identified"], userAgent: Self.userAgent)
        #expect(Self.label(adapter.classify(VendorResponse(status: status, body: Array(body.utf8)))) == expected)
    }

    @Test func brazeReadsTheDeletedCountAndTheRateLimitReset() {
        let adapter = BrazeAdapter(apiKey: Secret("k"), emailPrioritization: ["identified"], userAgent: Self.userAgent)
        #expect(
            adapter.classify(VendorResponse(status: 201, body: Array(#"{"deleted":3,"message":"success"}"#.utf8)))
                == .accepted(reference: nil, deleted: 3, note: nil)
        )
        let reset = Int(Date().timeIntervalSince1970) + 30
        let result = adapter.classify(VendorResponse(status: 429, headers: ["X-RateLimit-Reset": "\(reset)"]))
        guard case .retriable(_, let wait?) = result else {
            Issue.record("no wait in \(result)")
            return
        }
        #expect(wait > 25 && wait <= 30)
    }

    // MARK: MoEngage bulk

    @Test func moengageSendsOneUserPerCallWithBasicAuth() {
        let adapter = MoEngageAdapter(workspaceID: "WS 1", apiKey: Secret("key"), userAgent: Self.userAgent)
        let items = adapter.items(for: Self.request(Self.everyIdentifier))
        #expect(items.count == 2)
        let call = adapter.call(for: [items[0]], now: Self.now)
        #expect(call.pathAndQuery == "/v1/customer/delete/bulk?app_id=WS%201")
        #expect(header(call, "Authorization") == "Basic " + Data("WS 1:key".utf8).base64EncodedString())
        #expect(body(call) == #"{"identity_type":"customer_id","identity_value":"u-1"}"#)
        #expect(
            body(adapter.call(for: [items[1]], now: Self.now))
                == #"{"identity_type":"moengage_id","identity_value":"m-1"}"#
        )
        #expect(adapter.items(for: Self.request(Subject(email: "a@b.co"))).isEmpty)
    }

    @Test(
        "MoEngage answers",
        arguments: [
            (200, #"{"status":"success","message":"accepted"}"#, "accepted"),
            (400, #"{"status":"fail","error":{"message":"User doesn't exists","type":"Not Found"}}"#, "accepted"),
            (400, #"{"status":"fail","error":{"message":"bad","type":"Bad Request"}}"#, "rejected"),
            (200, #"{"status":"fail"}"#, "rejected"),
            (401, #"{"status":"fail","error":{"type":"Authentication required"}}"#, "rejected"),
            (429, #"{"status":"fail","title":"Too Many Requests"}"#, "retriable"),
            (502, "", "retriable"),
        ]
    )
    func moengageClassification(status: Int, body: String, expected: String) {
        let adapter = MoEngageAdapter(workspaceID: "W", apiKey: Secret("k"), userAgent: Self.userAgent)
        #expect(Self.label(adapter.classify(VendorResponse(status: status, body: Array(body.utf8)))) == expected)
    }

    @Test func moengageNotesAnUnknownUser() {
        let adapter = MoEngageAdapter(workspaceID: "W", apiKey: Secret("k"), userAgent: Self.userAgent)
        let result = adapter.classify(
            VendorResponse(
                status: 400,
                body: Array(#"{"status":"fail","error":{"type":"Not Found"}}"#.utf8)
            )
        )
        #expect(result == .accepted(reference: nil, deleted: nil, note: "not found"))
    }

    // MARK: MoEngage GDPR

    /// "submitted_time: This identifies the time when the request was sent": the call's time, not the request's.
    @Test func moengageGDPRSubmittedTimeIsWhenTheCallIsSent() {
        let adapter = MoEngageGDPRAdapter(
            appID: "A",
            apiKey: Secret("k"),
            usersPerPayload: 10,
            userAgent: Self.userAgent
        )
        let call = adapter.call(for: adapter.items(for: Self.request(Subject(externalID: "u-1"))), now: Self.now)
        #expect(body(call).contains(#""submitted_time":"2026-11-22T10:00:00Z""#))
        #expect(!body(call).contains("2026-11-20"))
    }

    @Test func moengageGDPRSendsAllOfAUsersIdentitiesTogether() {
        let adapter = MoEngageGDPRAdapter(
            appID: "APP/1",
            apiKey: Secret("key"),
            usersPerPayload: 10,
            userAgent: Self.userAgent
        )
        let items = adapter.items(for: Self.request(Self.everyIdentifier))
        #expect(items.count == 1)
        #expect(items[0].identifierCount == 5)
        let call = adapter.call(for: items, now: Self.now)
        #expect(call.pathAndQuery == "/v1/opengdpr_requests/APP%2F1")
        #expect(header(call, "Authorization") == "Basic " + Data("APP/1:key".utf8).base64EncodedString())
        #expect(header(call, "MOE-APPKEY") == "APP/1")
        #expect(
            body(call) == """
                {"request_type":"erasure","submitted_time":"2026-11-22T10:00:00Z","api_version":"1.0","identities":[\
                {"identity_type":"ID","identity_value":"u-1"},{"identity_type":"email","identity_value":"a@example.com"},\
                {"identity_type":"mobile","identity_value":"+15551234567"},\
                {"identity_type":"google_advertising_id","identity_value":"gaid"},\
                {"identity_type":"advertising_identifier","identity_value":"idfa"}]}
                """
        )
        #expect(adapter.items(for: Self.request(Subject(brazeID: "b"))).isEmpty)
    }

    @Test func moengageGDPRBodySizeIsWhatIsSent() {
        let adapter = MoEngageGDPRAdapter(
            appID: "A",
            apiKey: Secret("k"),
            usersPerPayload: 100,
            userAgent: Self.userAgent
        )
        let items = (0..<5).flatMap { adapter.items(for: Self.request(Subject(externalID: "u-\($0)"))) }
        #expect(adapter.bodySize(of: items, now: Self.now) == adapter.call(for: items, now: Self.now).body!.count)
        let empty = adapter.bodySize(of: [], now: Self.now)
        #expect(adapter.bodySize(of: items, now: Self.now) == empty + items.map(\.payload.count).reduce(0, +) + 4)
    }

    @Test(
        "MoEngage GDPR answers",
        arguments: [
            (200, #"{"status":"success","request_id":"abc"}"#, "accepted"),
            (
                413,
                #"{"status":"fail","error":{"message":"Payload can not exceed 128KB.","type":"Payload too large"}}"#,
                "rejected-isolate"
            ),
            (400, #"{"status":"fail","error":{"type":"MissingAttributeError"}}"#, "rejected-isolate"),
            (415, #"{"status":"fail"}"#, "rejected"),
            (403, #"{"status":"fail","error":{"type":"BlockedClient"}}"#, "rejected"),
            (429, #"{"status":"fail"}"#, "retriable"),
            (500, "", "retriable"),
        ]
    )
    func moengageGDPRClassification(status: Int, body: String, expected: String) {
        let adapter = MoEngageGDPRAdapter(
            appID: "A",
            apiKey: Secret("k"),
            usersPerPayload: 1,
            userAgent: Self.userAgent
        )
        #expect(Self.label(adapter.classify(VendorResponse(status: status, body: Array(body.utf8)))) == expected)
    }

    @Test func moengageGDPRKeepsTheRequestIDAsReference() {
        let adapter = MoEngageGDPRAdapter(
            appID: "A",
            apiKey: Secret("k"),
            usersPerPayload: 1,
            userAgent: Self.userAgent
        )
        #expect(
            adapter.classify(VendorResponse(status: 200, body: Array(#"{"status":"success","request_id":"abc"}"#.utf8)))
                == .accepted(reference: "abc", deleted: nil, note: nil)
        )
    }

    // MARK: EngageLab

    @Test func engagelabDeletesOneRegistrationIDPerCall() {
        let adapter = EngageLabAdapter(appKey: "app", masterSecret: Secret("secret"), userAgent: Self.userAgent)
        let items = adapter.items(for: Self.request(Self.everyIdentifier))
        #expect(items.count == 2)
        let call = adapter.call(for: [items[1]], now: Self.now)
        #expect(call.method == .DELETE)
        #expect(call.pathAndQuery == "/v4/devices/reg-2")
        #expect(call.body == nil)
        #expect(header(call, "Authorization") == "Basic " + Data("app:secret".utf8).base64EncodedString())
        #expect(header(call, "Accept") == "application/json")
    }

    @Test(
        "Hostile path segments are percent-encoded",
        arguments: [
            ("../admin", "%2E%2E%2Fadmin"), ("a?b=c", "a%3Fb%3Dc"), ("a#frag", "a%23frag"), ("%2F", "%252F"),
            ("..", "%2E%2E"), ("a b/ü", "a%20b%2F%C3%BC"), ("plain-ID_9~", "plain-ID_9~"),
        ]
    )
    func percentEncodesPathSegments(id: String, encoded: String) {
        let adapter = EngageLabAdapter(appKey: "a", masterSecret: Secret("s"), userAgent: Self.userAgent)
        let items = adapter.items(for: Self.request(Subject(engagelabRegistrationIDs: [id])))
        #expect(adapter.call(for: items, now: Self.now).pathAndQuery == "/v4/devices/\(encoded)")
    }

    @Test(
        "EngageLab answers",
        arguments: [
            (200, #"{"success":true}"#, "accepted"),
            (204, "", "accepted"),
            (404, #"{"error":{"code":1011,"message":"Device not found"}}"#, "accepted"),
            // What a login page, another service or a wrong region answers is no proof of anything.
            (200, "<html><body>Sign in</body></html>", "rejected"),
            (200, #"{"ok":true}"#, "rejected"),
            (404, #"{"message":"no route"}"#, "rejected"),
            (404, #"{"error":"no route"}"#, "rejected"),
            (404, "", "rejected"),
            (404, "<html>Not Found</html>", "rejected"),
            (200, #"{"error":{"code":27002,"message":"unknown error"}}"#, "rejected"),
            (400, #"{"error":{"code":1003,"message":"bad"}}"#, "rejected"),
            (429, "", "retriable"),
            (504, "", "retriable"),
        ]
    )
    func engagelabClassification(status: Int, body: String, expected: String) {
        let adapter = EngageLabAdapter(appKey: "a", masterSecret: Secret("s"), userAgent: Self.userAgent)
        #expect(Self.label(adapter.classify(VendorResponse(status: status, body: Array(body.utf8)))) == expected)
    }

    @Test func retryAfterIsReadInSecondsAndAsADate() {
        let adapter = EngageLabAdapter(appKey: "a", masterSecret: Secret("s"), userAgent: Self.userAgent)
        #expect(
            adapter.classify(VendorResponse(status: 503, headers: ["Retry-After": "7"]))
                == .retriable(reason: "HTTP 503", retryAfter: 7)
        )
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let date = formatter.string(from: Date().addingTimeInterval(20))
        guard
            case .retriable(_, let wait?) = adapter.classify(
                VendorResponse(status: 429, headers: ["Retry-After": date])
            )
        else {
            Issue.record("no wait")
            return
        }
        #expect(wait > 15 && wait <= 20)
    }

    static func label(_ result: CallResult) -> String {
        switch result {
        case .accepted: "accepted"
        case .rejected(_, let isolate): isolate ? "rejected-isolate" : "rejected"
        case .retriable: "retriable"
        }
    }

    /// The limits as the vendors' documents state them, written out here rather than read from the code.
    @Test func defaultsAreTheVendorsDocumentedLimits() {
        // "There is a max limit of 100kb per request" (and "128 KB" elsewhere on the page): the stricter.
        #expect(MoEngageGDPRAdapter.defaultMaxPayloadBytes == 100_000)
        // "The App Push REST API ... 500 requests per second per AppKey".
        #expect(
            BuiltInVendor.named(.engagelab)?.documentedRateLimit
                == VendorSettings.RateLimit(requests: 500, windowSeconds: 1)
        )
        // "You can run 5000 requests per minute", one user each.
        #expect(
            BuiltInVendor.named(.moengage)?.documentedRateLimit
                == VendorSettings.RateLimit(requests: 5000, windowSeconds: 60)
        )
        #expect(BuiltInVendor.named(.moengage)?.maxBatchSize == 1)
        // Braze: "up to 50 external_ids, user_aliases, braze_ids, email_addresses, or phone_numbers" per request.
        #expect(BuiltInVendor.named(.braze)?.maxBatchSize == 50)
        // EngageLab: one registration id per DELETE.
        #expect(BuiltInVendor.named(.engagelab)?.maxBatchSize == 1)
    }
}

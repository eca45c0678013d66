import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Testing

enum DeclaredVendorFixtures {
    static let builtInConfiguration = """
        vendors:
          braze: { api_key: sandbox-braze-key }
          moengage: { workspace_id: SANDBOXWORKSPACE, api_key: sandbox-moengage-key }
          moengage_gdpr: { app_id: SANDBOXAPP, api_key: sandbox-gdpr-key }
          engagelab: { app_key: sandbox-app-key, master_secret: sandbox-master-secret }
        """

    static func builtIn(_ vendor: VendorID) throws -> any VendorAdapter {
        try #require(try RelayConfiguration(yaml: builtInConfiguration, environment: [:]).vendors[vendor]).makeAdapter()
    }
}

/// A call as the comparison sees it: everything but the user agent, headers in a stable order.
struct ComparedCall: Equatable, CustomStringConvertible {
    var method: String
    var pathAndQuery: String
    var headers: [String]
    var body: String?

    init(_ call: VendorCall) {
        method = call.method.rawValue
        pathAndQuery = call.pathAndQuery
        headers = call.headers.filter { $0.0.lowercased() != "user-agent" }.map { "\($0.0.lowercased()): \($0.1)" }
            .sorted()
        body = call.body.map { String(decoding: $0, as: UTF8.self) }
    }

    var description: String { "\(method) \(pathAndQuery) \(headers) \(body ?? "-")" }
}

@Suite("Vendors declared in configuration")
struct DeclaredVendorTests {
    private static func request(_ index: Int, _ subject: Subject) -> ErasureRequest {
        ErasureRequest(requestID: "r-\(index)", regulation: .gdpr, submittedAt: .now(), subject: subject)
    }

    @Test(
        "A seed vendor written as a definition makes its built-in adapter's calls, byte for byte",
        arguments: [
            ("braze.yaml", VendorID.braze, 8),
            ("moengage.yaml", VendorID.moengage, 150),
            ("engagelab.yaml", VendorID.engagelab, 40),
            // 120 users, at most 100 per payload.
            ("moengage_gdpr.yaml", VendorID.moengageGDPR, 2),
        ]
    )
    func seedVendorsMakeTheSameCalls(file: String, builtInVendor: VendorID, calls: Int) throws {
        let declared = try exampleVendor(file).1.makeAdapter()
        let builtIn = try DeclaredVendorFixtures.builtIn(builtInVendor)
        let now = Timestamp.now()
        let requests = twinComparisonSubjects.enumerated().map { Self.request($0, $1) }
        let declaredItems = requests.flatMap(declared.items(for:))
        let builtInItems = requests.flatMap(builtIn.items(for:))
        #expect(declaredItems.map(\.values) == builtInItems.map(\.values))
        #expect(declaredItems.map(\.identifierCount) == builtInItems.map(\.identifierCount))
        let declaredCalls = declared.batches(of: declaredItems, now: now).map {
            ComparedCall(declared.call(for: $0, now: now))
        }
        let builtInCalls = builtIn.batches(of: builtInItems, now: now).map {
            ComparedCall(builtIn.call(for: $0, now: now))
        }
        #expect(declaredCalls == builtInCalls)
        #expect(builtInCalls.count == calls)
    }

    @Test func brazeBatchesOfFiftyOneMakeTwoCallsAndNeverMixKinds() throws {
        let declared = try exampleVendor("braze.yaml").1.makeAdapter()
        let now = Timestamp.now()
        let ids = (0..<51).flatMap { index in
            declared.items(for: Self.request(index, Subject(externalID: "u-\(index)", email: "p\(index)@example.com")))
        }
        let calls = declared.batches(of: ids, now: now)
        #expect(calls.map(\.count) == [50, 1, 50, 1])
        for call in calls {
            #expect(Set(call.map(\.kind)).count == 1)
            let body = String(decoding: declared.call(for: call, now: now).body ?? [], as: UTF8.self)
            #expect(body.hasPrefix("{\"\(call[0].kind)\":["))
        }
    }

    @Test func aMoEngageGDPRPayloadStopsBeforeItsByteLimit() throws {
        let declared = try exampleVendor("moengage_gdpr.yaml").1.makeAdapter()
        let now = Timestamp.now()
        let long = String(repeating: "x", count: 400)
        let items = (0..<600).flatMap { index in
            declared.items(
                for: Self.request(
                    index,
                    Subject(externalID: "\(long)-\(index)", email: "p\(index)@example.com", googleAdvertisingID: long)
                )
            )
        }
        let calls = declared.batches(of: items, now: now)
        #expect(calls.count > 1)
        for call in calls {
            let size = declared.bodySize(of: call, now: now)
            #expect(size <= 100_000)
            #expect(size > 90_000 || call == calls.last)
        }
    }

    @Test(
        "Every answer class gives the same vendor status",
        arguments: [
            ("braze.yaml", VendorID.braze),
            ("moengage.yaml", VendorID.moengage),
            ("moengage_gdpr.yaml", VendorID.moengageGDPR),
            ("engagelab.yaml", VendorID.engagelab),
        ]
    )
    func answersReadTheSame(file: String, builtInVendor: VendorID) throws {
        let declared = try exampleVendor(file).1.makeAdapter()
        let builtIn = try DeclaredVendorFixtures.builtIn(builtInVendor)
        let inAMinute = String(Int(Date().timeIntervalSince1970) + 60)
        let answers: [VendorResponse] = [
            VendorResponse(status: 201, body: Array(#"{"deleted":2,"message":"success"}"#.utf8)),
            VendorResponse(status: 202, body: Array(#"{"message":"queued"}"#.utf8)),
            VendorResponse(status: 201, body: Array(#"{"message":"success","errors":["bad id"]}"#.utf8)),
            VendorResponse(status: 200, body: Array(#"{"status":"success","request_id":"req-9"}"#.utf8)),
            VendorResponse(status: 200, body: Array(#"{"success":true}"#.utf8)),
            VendorResponse(status: 200, body: Array(#"{"status":"fail"}"#.utf8)),
            VendorResponse(status: 200, body: Array(#"{"error":{"code":21004}}"#.utf8)),
            VendorResponse(status: 400, body: Array(#"{"status":"fail","error":{"type":"Not Found"}}"#.utf8)),
            VendorResponse(status: 400, body: Array(#"{"message":"bad","errors":["x"]}"#.utf8)),
            VendorResponse(status: 401, body: Array(#"{"message":"no key"}"#.utf8)),
            VendorResponse(status: 404, body: Array(#"{"error":{"code":404}}"#.utf8)),
            VendorResponse(status: 404, body: []),
            VendorResponse(status: 404, body: Array("<html>proxy</html>".utf8)),
            // What a gateway, a login page or a wrong region answers.
            VendorResponse(status: 404, body: Array(#"{"message":"no route"}"#.utf8)),
            VendorResponse(status: 200, body: Array("<html><body>Sign in</body></html>".utf8)),
            VendorResponse(status: 204),
            VendorResponse(status: 413, body: Array(#"{"status":"fail","error":{"type":"Payload too large"}}"#.utf8)),
            VendorResponse(status: 429, headers: ["Retry-After": "7"]),
            VendorResponse(status: 429, headers: ["X-RateLimit-Reset": inAMinute]),
            VendorResponse(status: 429),
            VendorResponse(status: 500),
            VendorResponse(status: 503, headers: ["Retry-After": "3"]),
        ]
        for answer in answers {
            let expected = vendorStatusMeaning(of: builtIn.classify(answer))
            let got = vendorStatusMeaning(of: declared.classify(answer))
            #expect(got == expected, "HTTP \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        }
    }

    @Test func everyExampleDefinitionLoadsAndSaysWhereItComesFrom() throws {
        let folder = packageRoot().appendingPathComponent("examples/vendors")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 7)
        for file in files {
            let (vendor, settings) = try exampleVendor(file)
            #expect(!vendor.isBuiltIn)
            guard settings.account is HTTPVendorDefinition else {
                Issue.record("\(file) is not a declared vendor")
                continue
            }
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let isSeed = ["braze.yaml", "moengage.yaml", "moengage_gdpr.yaml", "engagelab.yaml"].contains(file)
            #expect(isSeed || text.contains("not yet run against the real API"), "\(file)")
        }
    }
}

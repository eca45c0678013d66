import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Logging
import Testing

/// An outcome is a compliance record: `completed` must mean that every targeted vendor took the erasure of every
/// identifier. These are the ways a definition, a configuration or a vendor's text could still make it lie, each
/// closed as a class: by a check of every call, one namespace, answers confined to what can prove, distinct topics,
/// and scrubbing that sees every identifier whole.
@Suite("Proof by construction", .timeLimit(.minutes(1)))
struct ProofByConstructionTests {
    typealias Definition = DeclaredVendorConfigurationTests

    private static func refuses(
        _ yaml: String,
        key: String,
        _ message: String,
        environment: [String: String]? = nil
    )
        -> Bool
    {
        do {
            _ = try RelayConfiguration(yaml: yaml, environment: environment ?? Definition.environment)
            return false
        } catch {
            let text = "\(error)"
            return error.key == key && text.contains(message) && !text.contains("\n") && !text.contains("t0ken")
        }
    }

    private static func request(_ subject: Subject, id: String = "r") -> ErasureRequest {
        ErasureRequest(requestID: id, regulation: .gdpr, submittedAt: .now(), subject: subject)
    }

    // MARK: A call carries what it claims, checked on every call

    /// Braze's calls, except that an identifier beginning "lost-" is left out of the body: what a template or an
    /// adapter that drops an identifier would send.
    struct DroppingAdapter: VendorAdapter {
        let inner = BrazeAdapter(apiKey: Secret("k"), emailPrioritization: ["identified"], userAgent: "test")
        var vendor: VendorID { inner.vendor }
        var maxItemsPerCall: Int { inner.maxItemsPerCall }
        var maxBodyBytes: Int? { inner.maxBodyBytes }
        func items(for request: ErasureRequest) -> [VendorItem] { inner.items(for: request) }
        func call(for items: [VendorItem], now: Timestamp) -> VendorCall {
            inner.call(for: items.filter { !$0.values[0].hasPrefix("lost-") }, now: now)
        }
        func classify(_ response: VendorResponse) -> CallResult { inner.classify(response) }
    }

    @Test func aCallThatWouldNotCarryAnIdentifierItReportsIsNeverSentAndTheIdentifierFails() async throws {
        let transport = RecordingTransport(status: 201, body: #"{"deleted":1,"message":"success"}"#)
        var settings = VendorSettings.testing(
            .braze,
            account: BrazeAccount(apiKey: Secret("k"), emailPrioritization: ["identified"])
        )
        // All four in one batch: the call is built again for the two it does carry.
        settings.batching.lingerMilliseconds = 600_000
        settings.batching.lingerWhenIdle = true
        let adapter = DroppingAdapter()
        let lane = VendorLane(
            adapter: adapter,
            settings: settings,
            transport: transport,
            logger: TestLogs.quietLogger(label: "test")
        )
        let ids = ["kept-1", "lost-1", "kept-2", "lost-2"]
        let results = try await withRunningLanes([lane]) {
            try await withThrowingTaskGroup(of: (String, VendorResult?).self) { group in
                for id in ids {
                    group.addTask { (id, await lane.erase(adapter.items(for: Self.request(Subject(externalID: id))))) }
                }
                try await lane.waitUntilWaiting(ids.count)
                await lane.flush()
                var results: [String: VendorResult?] = [:]
                for try await (id, result) in group { results[id] = result }
                return results
            }
        }
        for id in ids where id.hasPrefix("kept-") {
            #expect(results[id]??.status == .accepted, "\(id)")
        }
        for id in ids where id.hasPrefix("lost-") {
            let result = try #require(results[id] ?? nil)
            #expect(result.status == .failed, "\(id) was reported \(result.status) though no call carried it")
            #expect(result.error?.contains("definition error") == true)
            #expect(result.error?.contains("braze") == true, "the error names the vendor")
        }
        // The calls that were sent carry exactly the identifiers they were reported for.
        let sent = transport.recordedCalls.map { String(decoding: $0.body ?? [], as: UTF8.self) }
        #expect(sent == [#"{"external_ids":["kept-1","kept-2"]}"#])
    }

    @Test func aValueIsCarriedOnlyWhereItStandsWhole() {
        func call(_ pathAndQuery: String, _ headers: [(String, String)] = [], body: String? = nil) -> VendorCall {
            VendorCall(method: .POST, pathAndQuery: pathAndQuery, headers: headers, body: body.map { Array($0.utf8) })
        }
        func item(_ value: String) -> VendorItem { VendorItem(kind: "k", payload: [], values: [value]) }
        let json = [("Content-Type", "application/json"), ("Authorization", "Bearer dev-1")]
        let cases: [(VendorCall, String, Bool)] = [
            (call("/v4/devices/dev%2F1%2E", json), "dev/1.", true),
            (call("/v4/devices/dev-10", json), "dev-1", false),
            (call("/x?id=a+b%26c", json), "a b&c", true),
            (call("/x", json, body: #"{"ids":["dev-10"],"hard":true}"#), "dev-1", false),
            (call("/x", json, body: #"{"ids":["dev-10"],"hard":true}"#), "true", false),
            (call("/x", json, body: #"{"dev-1":true}"#), "dev-1", true),
            (call("/x", json, body: #"{"a":[{"b":"d\"1"}]}"#), "d\"1", true),
            // The credential is no place for an identifier: an identifier that became the token is not sent.
            (call("/x", json, body: "{}"), "dev-1", false),
            (call("/x", [("X-User", "dev-1")]), "dev-1", true),
            (call("/x", [("Content-Type", "application/x-www-form-urlencoded")], body: "u=dev%2D1&r=x"), "dev-1", true),
            (call("/x", json, body: "{}"), "", false),
        ]
        for (call, value, carried) in cases {
            #expect(CallContents(call).carries(item(value)) == carried, "\(call.pathAndQuery) \(value)")
        }
    }

    // MARK: Every value of a list identifier is erased

    @Test func aListIdentifierUnderPerSubjectIsRefused() {
        for field in ["engagelab_registration_ids", "user_aliases"] {
            let yaml = Definition.definition(
                url: "/forget",
                per: "subject",
                body: "{ ids: \"{devices}\", email: \"{email}\" }",
                identifiers: "{ email: email, \(field): devices }"
            )
            #expect(Self.refuses(yaml, key: "vendors.acme.identifiers.\(field)", "is a list"), "\(field)")
        }
    }

    // MARK: A call about nobody

    @Test(
        "A template that could leave an identifier out of its call is refused",
        arguments: [
            (
                Definition.definition(
                    url: "/forget",
                    per: "batch",
                    body: "{ user_ids: \" {items}\", hard: true }",
                    extra: "item: \"{identifier}\""
                ) + "\n    batch: { max_size: 10 }", "vendors.acme.request.body", "{items}"
            ),
            (
                Definition.definition(
                    url: "/forget",
                    per: "batch",
                    body: "{ \"{items}\": true }",
                    extra: "item: \"{identifier}\""
                ) + "\n    batch: { max_size: 10 }", "vendors.acme.request.body", "{items}"
            ),
            (
                Definition.definition(
                    url: "/forget",
                    per: "subject",
                    body: "{ who: \"email={email};id={user_id}\" }",
                    identifiers: "{ email: email, external_id: user_id }"
                ), "vendors.acme.request.body.who", "inside other text"
            ),
            (Definition.definition(url: "/v1/users/ext:{identifier}"), "vendors.acme.request.url", "inside other text"),
            (
                Definition.definition(url: "/v1/users/{identifier}.json"), "vendors.acme.request.url",
                "inside other text"
            ),
            (
                Definition.definition(url: "/v1/users?q=id:{identifier}"), "vendors.acme.request.url",
                "inside other text"
            ),
        ]
    )
    func callAboutNobody(yaml: String, key: String, message: String) {
        #expect(Self.refuses(yaml, key: key, message))
    }

    // MARK: One namespace

    @Test func anIdentifierNamedAsASettingOrASecretIsRefusedNamingBothKeys() {
        let setting = Definition.definition(
            url: "/forget",
            per: "subject",
            body: "{ id: \"{project}\" }",
            identifiers: "{ external_id: project }"
        )
        #expect(Self.refuses(setting, key: "vendors.acme.identifiers.external_id", "vendors.acme.settings.project"))
        let secret = Definition.definition(
            url: "/forget",
            per: "subject",
            body: "{ id: \"{token}\" }",
            identifiers: "{ external_id: token }"
        )
        #expect(Self.refuses(secret, key: "vendors.acme.identifiers.external_id", "vendors.acme.secrets.token"))
    }

    @Test func aSecretGoesOnlyWhereAuthPutsIt() {
        let body = Definition.definition(body: "{ id: \"{identifier}\", key: \"{token}\" }")
        #expect(Self.refuses(body, key: "vendors.acme.request.body.key", "names the secret {token}"))
        let header = Definition.definition(extra: "headers: { X-Key: \"{token}\" }")
        #expect(Self.refuses(header, key: "vendors.acme.request.headers.X-Key", "names the secret {token}"))
        let url = Definition.definition(url: "/v1/users/{identifier}?key={token}")
        #expect(Self.refuses(url, key: "vendors.acme.request.url", "names the secret {token}"))
    }

    // MARK: Answers that cannot be proof are never proof

    @Test(
        "A rule that could read an error as an erasure is refused",
        arguments: [
            ("[{ body: json, result: accepted }]", "status"),
            ("[{ has_header: Date, result: accepted }]", "status"),
            ("[{ status: 100-599, result: accepted }]", "status"),
            ("[{ status: 200-300, result: accepted }]", "status"),
            ("[{ status: 200, result: accepted }, { status: 500-599, result: not_found }]", "status"),
            ("[{ status: 200, result: accepted }, { json_path: error, result: not_found }]", "status"),
            ("[{ status: 200, result: accepted }, { status: 404, result: not_found }]", "json_path"),
            ("[{ status: 200, result: accepted }, { status: 404, body: json, result: not_found }]", "json_path"),
            ("[{ status: 200, result: accepted }, { status: 400, json_path: e, result: not_found }]", "json_path"),
            (
                "[{ status: 200, result: accepted }, { status: 401, json_path: e, equals: x, result: not_found }]",
                "status"
            ),
            (
                "[{ status: 200, result: accepted }, { status: 429, json_path: e, equals: x, result: not_found }]",
                "status"
            ),
        ]
    )
    func rulesConfinedToProof(rules: String, key: String) {
        #expect(
            Self.refuses(
                Definition.definition(rules: rules),
                key: "vendors.acme.answers.rules[\(rules.contains("},") ? 1 : 0)].\(key)",
                "result"
            )
        )
    }

    @Test func aThrottledOrFailingAnswerIsRetriedWhateverTheRulesSay() throws {
        let adapter = try Definition.adapter(
            Definition.definition(
                rules: """
                    [{ status: 200-299, json_path: ok, result: accepted },
                             { json_path: ok, result: permanent },
                             { status: 400-599, result: permanent },
                             { status: 503, result: rate_limited, wait_header: X-Wait }]
                    """
            )
        )
        func classify(_ status: Int, _ headers: [(String, String)] = []) -> CallResult {
            adapter.classify(VendorResponse(status: status, headers: .init(headers), body: Array(#"{"ok":1}"#.utf8)))
        }
        guard case .retriable = classify(500) else {
            Issue.record("a 500 with the body a rule accepts elsewhere must be retried, not decided by a rule")
            return
        }
        guard case .retriable = classify(429) else {
            Issue.record("429")
            return
        }
        // A rule may still say how long to wait.
        #expect(
            classify(503, [("X-Wait", "9")])
                == .retriable(reason: "HTTP 503, answers.rules[3] rate_limited", retryAfter: 9)
        )
        #expect(classify(200) == .accepted(reference: nil, deleted: nil, note: nil))
    }

    @Test func moEngagesOwnNotFoundIsStillNotFound() throws {
        let adapter = try Definition.adapter(
            Definition.definition(
                rules: """
                    [{ status: 200-299, result: accepted },
                             { status: 400, json_path: error.type, equals: Not Found, result: not_found }]
                    """
            )
        )
        let notFound = #"{"status":"fail","error":{"message":"User doesn't exists","type":"Not Found"}}"#
        #expect(
            adapter.classify(VendorResponse(status: 400, body: Array(notFound.utf8)))
                == .accepted(reference: nil, deleted: nil, note: VendorText.notFound)
        )
        guard case .rejected = adapter.classify(VendorResponse(status: 400, body: Array(#"{"error":{}}"#.utf8))) else {
            Issue.record("another 400 is no proof")
            return
        }
    }

    // MARK: Configuration that would loop or crash

    @Test func everyTwoTopicsThatCollideAreRefusedNamingBothKeys() {
        let keys = ["request_topic", "outcome_topic", "dead_letter_topic", "retry_topic"]
        for (index, first) in keys.enumerated() {
            for second in keys[(index + 1)...] {
                let yaml = """
                    kafka:
                      bootstrap_servers: "127.0.0.1:9092"
                      \(first): same
                      \(second): same
                    """
                #expect(
                    Self.refuses(yaml, key: "kafka.\(second)", "kafka.\(first)"),
                    "\(first) and \(second)"
                )
            }
        }
    }

    // MARK: Scrub first, then cut

    @Test func anEchoedIdentifierStraddlingTheOldCutLeavesNoPiece() {
        let externalID = String((0..<500).map { index in Character(UnicodeScalar(UInt8(97 + index % 26))) })
        let items = [VendorItem(kind: "external_ids", payload: [], values: [externalID])]
        let echo = (0..<9).map { "invalid external_id \($0): \(externalID)" }.joined(separator: "; ")
        let scrubbed = VendorText.scrub(echo, of: items)
        #expect(!scrubbed.contains(String(externalID.prefix(8))), "\(scrubbed)")
        #expect(scrubbed.hasPrefix("invalid external_id 0: \(VendorText.placeholder)"))
        // However long the text, overlapping echoes leave nothing of either identifier.
        let overlapping = [
            VendorItem(kind: "k", payload: [], values: ["abcdef"]),
            VendorItem(kind: "k", payload: [], values: ["xabc"]),
        ]
        #expect(VendorText.scrub("1 xabcdef 2", of: overlapping) == "1 \(VendorText.placeholder) 2")
    }

    // MARK: Secrets

    @Test func aSecretWithADefaultIsRefused() {
        let declared = Definition.definition(secrets: "{ token: \"${NOPE_UNSET:-plain-text}\" }")
        #expect(Self.refuses(declared, key: "vendors.acme.secrets.token", "with a default"))
        let builtIn = """
            vendors:
              braze:
                base_url: https://rest.iad-01.braze.com
                api_key: "${NOPE_UNSET:-plain-text}"
            """
        #expect(Self.refuses(builtIn, key: "vendors.braze.api_key", "with a default"))
        let signing = "parking:\n  signing_key: \"${NOPE_UNSET:-0123456789abcdef0123456789abcdef}\""
        #expect(Self.refuses(signing, key: "parking.signing_key", "with a default"))
    }

    @Test func credentialsInAURLOrALibrdkafkaPropertyAreMasked() throws {
        let yaml = """
            kafka:
              bootstrap_servers: "127.0.0.1:9092"
              properties:
                sasl.oauthbearer.extensions: "tenant=t0ken"
                sasl.kerberos.kinit.cmd: "kinit -t t0ken"
                ssl.certificate.pem: "t0ken"
                some.future.config: "t0ken"
            vendors:
              braze:
                base_url: https://svc:t0ken@rest.iad-01.braze.com
                api_key: "${ACME_TOKEN}"
            """
        let configuration = try RelayConfiguration(yaml: yaml, environment: Definition.environment)
        let description = configuration.effectiveDescription
        #expect(!description.contains("t0ken"), "\(description)")
        #expect(description.contains("https://********@rest.iad-01.braze.com"))
    }
}

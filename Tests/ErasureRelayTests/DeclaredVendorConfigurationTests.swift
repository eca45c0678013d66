import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Testing

@Suite("Declared vendor definitions: validation and rendering")
struct DeclaredVendorConfigurationTests {
    /// A definition with every part, each line of which a test below may replace.
    static func definition(
        url: String = "/v1/users/{identifier}/forget?project={project}",
        per: String = "identifier",
        auth: String = "{ bearer: token }",
        body: String = "{ id: \"{identifier}\", kind: \"{identifier_name}\", at: \"{now}\", hard: true, weight: 2 }",
        extra: String = "",
        identifiers: String =
            "{ email: { as: hashed_email, normalize: [trim, lowercase], hash: sha256 }, custom.loyalty_id: loyalty }",
        secrets: String = "{ token: \"${ACME_TOKEN}\" }",
        rules: String = "[{ status: 200-299, result: accepted }, { status: 404, json_path: error, result: not_found }]",
        answersExtra: String = ""
    ) -> String {
        """
        vendors:
          acme:
            kind: http
            base_url: https://api.acme.example
            settings: { project: "p 1" }
            secrets: \(secrets)
            request:
              method: POST
              url: "\(url)"
              per: \(per)
              auth: \(auth)
              body: \(body)
        \(extra.isEmpty ? "" : "      " + extra)
            identifiers: \(identifiers)
            rate_limit: { requests: 10, window_seconds: 1 }
            answers:
              rules: \(rules)
        \(answersExtra.isEmpty ? "" : "      " + answersExtra)
        """
    }

    static let environment = ["ACME_TOKEN": "t0ken"]

    static func adapter(_ yaml: String) throws -> any VendorAdapter {
        let configuration = try RelayConfiguration(yaml: yaml, environment: environment)
        return try #require(configuration.vendors[VendorID(rawValue: "acme")!]).makeAdapter()
    }

    /// `check-config` shows how a definition authenticates and whether it looks identifiers up, never a secret.
    @Test func checkConfigNamesTheAuthAndTheLookUp() throws {
        let expected = [
            ("auth0.yaml", "auth: oauth2_client_credentials from https://value-of-auth0_domain/oauth/token"),
            ("google_analytics.yaml", "auth: oauth2_jwt_bearer from https://oauth2.googleapis.com/token"),
            ("intercom.yaml", #"auth: bearer, lookup: { method: POST, url: "/contacts/search", max_matches: 5 }"#),
            ("klaviyo.yaml", "content_type: json_api, auth: header Authorization"),
        ]
        for (file, summary) in expected {
            let (_, settings) = try exampleVendor(file)
            let definition = try #require(settings.account as? HTTPVendorDefinition)
            let lines = definition.configurationLines(revealingSecrets: false).joined(separator: "\n")
            #expect(lines.contains(summary), "\(file): \(lines)")
            for secret in definition.secrets.values { #expect(!lines.contains(secret.value), "\(file)") }
        }
    }

    @Test(
        "Every mistake is one line naming its key",
        arguments: [
            (definition(url: "/v1/{nobody}"), "vendors.acme.request.url", "unknown placeholder {nobody}"),
            (definition(body: "{ id: \"{identifer}\" }"), "vendors.acme.request.body.id", "unknown placeholder"),
            (
                definition(url: "/forget", per: "batch", body: "{ ids: [] }", extra: "item: \"{identifier}\""),
                "vendors.acme.request.body", "one {items} slot"
            ),
            (
                definition(url: "/forget", per: "batch", body: "{ ids: \"{items}\" }"), "vendors.acme.request.item",
                "is required"
            ),
            (
                definition(rules: "[{ result: accepted }]"), "vendors.acme.answers.rules[0]",
                "has nothing to match"
            ),
            (
                definition(secrets: "{ token: plain-text-token }"), "vendors.acme.secrets.token",
                "secret written in plain text"
            ),
            (
                definition(rules: "[{ status: 200-299, result: retriable }]"), "vendors.acme.answers.rules",
                "no rule with result accepted"
            ),
            (
                definition(answersExtra: "default: accepted"), "vendors.acme.answers.default",
                "no proof of erasure"
            ),
            (definition(answersExtra: "deleted: \"a..b\""), "vendors.acme.answers.deleted", "must be a path"),
            (
                definition(rules: "[{ status: 200-700, result: accepted }]"), "vendors.acme.answers.rules[0].status",
                "range such as 200-299"
            ),
            (definition(auth: "{ bearer: project }"), "vendors.acme.request.auth.bearer", "must be under secrets"),
            (
                definition(auth: "{ bearer: token, header: { name: X, secret: token } }"), "vendors.acme.request.auth",
                "exactly one of"
            ),
            (
                definition(auth: "{ oauth2_client_credentials: { token_url: https://a.example/t, client_id: token } }"),
                "vendors.acme.request.auth.oauth2_client_credentials.client_secret", "is required"
            ),
            (
                definition(
                    auth:
                        "{ oauth2_client_credentials: { token_url: https://a.example/t, client_id: token, client_secret: project } }"
                ),
                "vendors.acme.request.auth.oauth2_client_credentials.client_secret", "must be under secrets"
            ),
            (
                definition(
                    auth:
                        "{ oauth2_client_credentials: { token_url: \"http://a.example/t\", client_id: token, client_secret: token } }"
                ),
                "vendors.acme.request.auth.oauth2_client_credentials.token_url", "must use https://"
            ),
            (
                definition(
                    auth:
                        "{ oauth2_client_credentials: { token_url: https://a.example/t, client_id: token, client_secret: token, client_authentication: digest } }"
                ),
                "vendors.acme.request.auth.oauth2_client_credentials.client_authentication",
                "must be one of form, basic"
            ),
            (
                definition(
                    auth:
                        "{ oauth2_jwt_bearer: { token_url: https://a.example/t, issuer: me, private_key: token } }"
                ),
                "vendors.acme.secrets.token", "must be an RSA private key"
            ),
            (
                definition(
                    url: "/v1/users/{found_id}",
                    per: "subject",
                    extra:
                        "lookup: { method: POST, url: /search, body: { q: \"{identifier}\" }, matches: data, id: id, max_matches: 3 }"
                ),
                "vendors.acme.request.lookup", "applies only when per is identifier"
            ),
            (
                definition(
                    url: "/v1/users/{found_id}",
                    extra: "lookup: { method: POST, url: /search, matches: data, id: id, max_matches: 3 }"
                ),
                "vendors.acme.request.lookup", "never sends {identifier}: a look-up without it would find every user"
            ),
            (
                definition(
                    extra:
                        "lookup: { method: POST, url: /search, body: { q: \"{identifier}\" }, matches: data, id: id, max_matches: 3 }"
                ), "vendors.acme.request", "never sends {found_id}"
            ),
            (definition(url: "/v1/{found_id}"), "vendors.acme.request.url", "unknown placeholder {found_id}"),
            (
                definition(
                    url: "/v1/users/{found_id}",
                    extra:
                        "lookup: { method: POST, url: /search, body: { q: \"{identifier}\" }, matches: data, id: id }"
                ),
                "vendors.acme.request.lookup.max_matches", "is required"
            ),
            (
                definition(
                    url: "/v1/users/{found_id}",
                    extra:
                        "lookup: { method: POST, url: \"/search?k={token}&q={identifier}\", matches: data, id: id, max_matches: 3 }"
                ),
                "vendors.acme.request.lookup.url", "names the secret {token}"
            ),
            (
                definition(auth: "{ header: { name: Authorization, secret: token, prefix: \"Key\\n\" } }"),
                "vendors.acme.request.auth.header.prefix", "must not contain control characters"
            ),
            (definition(identifiers: "{ mail: email }"), "vendors.acme.identifiers.mail", "not a request field"),
            (definition(identifiers: "{}"), "vendors.acme.identifiers", "is required"),
            (definition(url: "https://elsewhere.example/x"), "vendors.acme.request.url", "relative to base_url"),
            (definition(url: "/v1/{identifier"), "vendors.acme.request.url", "without its '}'"),
            (definition(url: "/v1/{}"), "vendors.acme.request.url", "names are letters, digits and '_'"),
            (
                definition(rules: "[{ status: \"-\", result: accepted }]"), "vendors.acme.answers.rules[0].status",
                "range"
            ),
            (
                definition(rules: "[{ status: 200, json_path: \"a..b\", result: accepted }]"),
                "vendors.acme.answers.rules[0].json_path", "must be a path"
            ),
            (
                definition(rules: "[{ status: 200, result: maybe }]"), "vendors.acme.answers.rules[0].result",
                "must be one of"
            ),
            (definition(rules: "{ status: 200 }"), "vendors.acme.answers.rules", "must be a list"),
            (definition(extra: "mix_kinds: true"), "vendors.acme.request.mix_kinds", "only when per is batch"),
            (definition(extra: "batch_by: subject"), "vendors.acme.request.batch_by", "only when per is batch"),
            (definition(extra: "batch_by: user"), "vendors.acme.request.batch_by", "identifier or subject"),
            // A call that carries no identifier would be accepted about nobody, and the request reported completed.
            (
                definition(url: "/v1/forget", body: "{ hard: true }"), "vendors.acme.request",
                "never sends {identifier}"
            ),
            (
                definition(
                    url: "/forget",
                    per: "batch",
                    body: "{ ids: \"{items}\" }",
                    extra: "item: { kind: \"{identifier_name}\" }"
                ),
                "vendors.acme.request.item", "never sends {identifier}"
            ),
            (
                definition(url: "/forget", per: "subject", body: "{ mail: \"{hashed_email}\" }"),
                "vendors.acme.identifiers.custom.loyalty_id", "is never sent"
            ),
            (
                definition(url: "/people/{loyalty}", per: "subject", body: "{ mail: \"{hashed_email}\" }"),
                "vendors.acme.request.url", "declare loyalty alone"
            ),
            (definition(url: "/v1/{identifier}/a b"), "vendors.acme.request.url", "printable ASCII without spaces"),
            // Found by the configuration fuzzer: literal text outside ASCII went on the wire unencoded.
            (definition(url: "/v1/caf\u{E9}/{identifier}"), "vendors.acme.request.url", "percent-encode"),
            (definition(url: "/v1/{identifier}#top"), "vendors.acme.request.url", "without spaces or '#'"),
            (
                definition(extra: "headers: { \"X Bad\": v }"), "vendors.acme.request.headers.X Bad",
                "not a valid header name"
            ),
            (
                definition(extra: "headers: { X-Note: \"a\\r\\nInjected: 1\" }"), "vendors.acme.request.headers.X-Note",
                "control characters"
            ),
            (
                definition().replacingOccurrences(
                    of: "settings: { project: \"p 1\" }",
                    with: "settings: { project: \"p\\n1\" }"
                ),
                "vendors.acme.settings.project", "control characters"
            ),
            (
                definition(rules: "[{ status: 200, result: accepted }, { status: 404, result: permanent, note: x }]"),
                "vendors.acme.answers.rules[1].note", "accepted only"
            ),
            (
                definition(url: "/forget", per: "batch", body: "{ ids: \"{items}\" }", extra: "item: \"{identifier}\""),
                "vendors.acme.batch.max_size", "is required"
            ),
            (
                "vendors: { braze: { kind: http, api_key: k } }", "vendors.braze.kind",
                "built-in vendor's name"
            ),
            ("vendors: { acme: { api_key: k } }", "vendors.acme", "declare it with kind: http"),
            ("vendors: { Acme: { kind: http } }", "vendors.Acme", "not a valid vendor name"),
            ("vendors: { acme: { kind: grpc } }", "vendors.acme.kind", "must be http"),
            (
                definition().replacingOccurrences(
                    of: "    rate_limit: { requests: 10, window_seconds: 1 }\n",
                    with: ""
                ),
                "vendors.acme.rate_limit", "is required"
            ),
        ]
    )
    func namesTheKey(yaml: String, key: String, message: String) {
        #expect {
            _ = try RelayConfiguration(yaml: yaml, environment: Self.environment)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            let text = "\(error)"
            return error.key == key && text.contains(message) && !text.contains("\n") && !text.contains("t0ken")
        }
    }

    @Test func aWellFormedDefinitionLoads() throws {
        let configuration = try RelayConfiguration(yaml: Self.definition(), environment: Self.environment)
        let settings = try #require(configuration.vendors[VendorID(rawValue: "acme")!])
        #expect(settings.rateLimit == VendorSettings.RateLimit(requests: 10, windowSeconds: 1))
        #expect(!configuration.effectiveDescription.contains("t0ken"))
        #expect(configuration.effectiveDescription.contains("kind: http"))
    }

    @Test func identifiersAreNormalisedHashedAndPercentEncodedAsOneSegment() throws {
        let adapter = try Self.adapter(Self.definition())
        let request = ErasureRequest(
            requestID: "r",
            regulation: .gdpr,
            submittedAt: .now(),
            subject: Subject(email: " Person@Example.COM ", custom: ["loyalty_id": "L/1?x=#..", "other": "o"])
        )
        let items = adapter.items(for: request)
        #expect(items.map(\.kind) == ["hashed_email", "loyalty"])
        let now = Timestamp(rfc3339: "2026-12-02T10:00:00Z")!
        let hashed = adapter.call(for: [items[0]], now: now)
        // `printf person@example.com | sha256sum`: the trimmed, lower-cased address.
        let segment = "542d240129883c019e106e3b1b2d3f3cb3537c43c425364de8e951d5a3083345"
        #expect(hashed.pathAndQuery == "/v1/users/\(segment)/forget?project=p+1")
        #expect(hashed.headers.contains { $0.0 == "Authorization" && $0.1 == "Bearer t0ken" })
        let body = String(decoding: hashed.body ?? [], as: UTF8.self)
        #expect(
            body == #"{"id":"\#(segment)","kind":"hashed_email","at":"2026-12-02T10:00:00Z","hard":true,"weight":2}"#
        )
        // The hash is of the trimmed, lower-cased address, so the vendor's own hash of it matches.
        let again = try Self.adapter(Self.definition()).items(
            for: ErasureRequest(
                requestID: "r2",
                regulation: .gdpr,
                submittedAt: .now(),
                subject: Subject(email: "person@example.com")
            )
        )
        #expect(again[0].payload == items[0].payload)
        let custom = adapter.call(for: [items[1]], now: now)
        #expect(custom.pathAndQuery == "/v1/users/L%2F1%3Fx%3D%23%2E%2E/forget?project=p+1")
        // Answers are scrubbed of the identifier as given and as sent.
        #expect(Set(items[0].values) == [" Person@Example.COM ", segment])
    }

    @Test func aSubjectCallLeavesOutWhatTheRequestLacks() throws {
        let yaml = Self.definition(
            url: "/forget",
            per: "subject",
            body: "{ email: \"{email}\", userId: \"{userId}\", tags: [\"{email}\", fixed] }",
            identifiers: "{ email: email, external_id: userId }"
        )
        let adapter = try Self.adapter(yaml)
        let both = adapter.items(
            for: ErasureRequest(
                requestID: "r",
                regulation: .ccpa,
                submittedAt: .now(),
                subject: Subject(externalID: "u\"1", email: "a@b.co")
            )
        )
        #expect(both.count == 1)
        let now = Timestamp.now()
        #expect(
            String(decoding: adapter.call(for: both, now: now).body ?? [], as: UTF8.self)
                == #"{"email":"a@b.co","userId":"u\"1","tags":["a@b.co","fixed"]}"#
        )
        let one = adapter.items(
            for: ErasureRequest(
                requestID: "r",
                regulation: .ccpa,
                submittedAt: .now(),
                subject: Subject(externalID: "u2")
            )
        )
        #expect(
            String(decoding: adapter.call(for: one, now: now).body ?? [], as: UTF8.self)
                == #"{"userId":"u2","tags":["fixed"]}"#
        )
        let none = adapter.items(
            for: ErasureRequest(
                requestID: "r",
                regulation: .ccpa,
                submittedAt: .now(),
                subject: Subject(phone: "+15550001111")
            )
        )
        #expect(none.isEmpty)
    }

    @Test func aFormBodyAndAQueryKeyAreFormEncoded() throws {
        let yaml = Self.definition(
            url: "/delete",
            auth: "{ query: { name: api_key, secret: token } }",
            body: "{ user: \"{identifier}\", reason: \"gdpr erasure\" }",
            extra: "content_type: form",
            identifiers: "{ external_id: user }"
        )
        let adapter = try Self.adapter(yaml)
        let items = adapter.items(
            for: ErasureRequest(
                requestID: "r",
                regulation: .gdpr,
                submittedAt: .now(),
                subject: Subject(externalID: "a&b=c d")
            )
        )
        let call = adapter.call(for: items, now: .now())
        #expect(call.pathAndQuery == "/delete?api_key=t0ken")
        #expect(String(decoding: call.body ?? [], as: UTF8.self) == "user=a%26b%3Dc+d&reason=gdpr+erasure")
        #expect(call.headers.contains { $0 == ("Content-Type", "application/x-www-form-urlencoded") })
    }

    @Test func answersFollowTheRulesInOrderAndNeverAcceptWhatNoRuleExpects() throws {
        let yaml = Self.definition(
            rules: """
                [{ status: 200, json_path: "data.state", equals: "done", result: accepted },
                         { status: 200, body_contains: "missing", result: not_found },
                         { status: 409, result: retriable },
                         { status: 418, result: rate_limited, wait_header: X-Wait },
                         { status: 401, result: permanent }]
                """,
            answersExtra: "reference: data.job\n      deleted: data.count"
        )
        let adapter = try Self.adapter(yaml)
        func classify(_ status: Int, _ body: String, _ headers: [(String, String)] = []) -> CallResult {
            adapter.classify(VendorResponse(status: status, headers: .init(headers), body: Array(body.utf8)))
        }
        #expect(
            classify(200, #"{"data":{"state":"done","job":"j-7","count":3}}"#)
                == .accepted(reference: "j-7", deleted: 3, note: nil)
        )
        // A count that is not a whole number is left out, not guessed at.
        for count in ["2.5", #""3""#, "true", "1e300"] {
            #expect(
                classify(200, #"{"data":{"state":"done","count":\#(count)}}"#)
                    == .accepted(reference: nil, deleted: nil, note: nil),
                "\(count)"
            )
        }
        #expect(classify(200, #"user missing"#) == .accepted(reference: nil, deleted: nil, note: VendorText.notFound))
        // A 200 that no rule accepts is not an erasure.
        guard case .rejected = classify(200, #"{"data":{"state":"pending"}}"#) else {
            Issue.record("an unexpected 200 must not be accepted")
            return
        }
        guard case .retriable(_, nil) = classify(409, "") else {
            Issue.record("409")
            return
        }
        #expect(
            classify(418, "", [("X-Wait", "12")])
                == .retriable(reason: "HTTP 418, answers.rules[3] rate_limited", retryAfter: 12)
        )
        // 429 and 5xx that no rule names are worth another try.
        guard case .retriable(_, 5) = classify(503, "", [("Retry-After", "5")]) else {
            Issue.record("503")
            return
        }
        guard case .rejected(_, false) = classify(401, "") else {
            Issue.record("401")
            return
        }
        guard case .rejected = classify(400, "") else {
            Issue.record("400")
            return
        }
    }

    @Test func aRequestMayNameADeclaredVendorAndCarryCustomIdentifiers() {
        let decoder = RequestDecoder(knownVendors: VendorID.builtIn + [VendorID(rawValue: "acme")!])
        let accepted = decoder.decode(
            Array(
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"custom":{"loyalty_id":"L-1"}},"vendors":["acme"]}"#
                    .utf8
            )
        )
        guard case .success(let request) = accepted else {
            Issue.record("rejected: \(accepted)")
            return
        }
        #expect(request.subject.custom == ["loyalty_id": "L-1"])
        #expect(request.vendors == [VendorID(rawValue: "acme")!])
        let unknown = RequestDecoder().decode(
            Array(
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"a@b.co"},"vendors":["acme"]}"#
                    .utf8
            )
        )
        guard case .failure(let rejected) = unknown else {
            Issue.record("a vendor this deployment does not know must be rejected")
            return
        }
        #expect(rejected.rejection.code == .unknownVendor)
    }

    @Test(
        "Custom identifiers are validated like the others",
        arguments: [
            (#"{"custom":"x"}"#, "subject.custom"),
            (#"{"custom":{"Bad Name":"x"}}"#, "subject.custom"),
            (#"{"custom":{"ok":7}}"#, "subject.custom.ok"),
            (#"{"custom":{"ok":""}}"#, "subject.custom.ok"),
            (#"{"custom":{"ok":"a\u202Eb"}}"#, "subject.custom.ok"),
            (
                "{\"custom\":{" + (0...20).map { "\"k\($0)\":\"v\"" }.joined(separator: ",") + "}}",
                "subject.custom"
            ),
        ]
    )
    func customIdentifiersAreValidated(subject: String, field: String) {
        let message =
            #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":\#(subject)}"#
        guard case .failure(let rejected) = RequestDecoder().decode(Array(message.utf8)) else {
            Issue.record("accepted \(subject)")
            return
        }
        #expect(rejected.rejection.field == field)
    }
}

@Suite("The deployment's configuration")
struct DeploymentConfigurationTests {
    /// The ConfigMap in deploy/ is what operators copy: it must load, its declared vendor included, with its
    /// secrets read from the mounted files it names.
    @Test func theConfigMapLoadsWithItsDeclaredVendor() throws {
        let manifest = try String(
            contentsOf: packageRoot().appendingPathComponent("deploy/kubernetes/configmap.yaml"),
            encoding: .utf8
        )
        let marker = "config.yaml: |\n"
        let start = try #require(manifest.range(of: marker)).upperBound
        let indented = manifest[start...].split(separator: "\n", omittingEmptySubsequences: false)
        let config = indented.map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }.joined(
            separator: "\n"
        )
        let secrets = FileManager.default.temporaryDirectory.appendingPathComponent("erasure-relay-\(UUID())")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: secrets) }
        for match in config.matches(of: /\/run\/secrets\/erasure-relay\/([a-z-]+)/) {
            let value = match.1 == "parking-signing-keys" ? String(repeating: "k", count: 64) : "secret-\(match.1)"
            try value.write(to: secrets.appendingPathComponent(String(match.1)), atomically: true, encoding: .utf8)
        }
        var environment: [String: String] = [:]
        for match in config.matches(of: /\$\{([A-Z0-9_]+)\}/) { environment[String(match.1)] = "value" }
        let configuration = try RelayConfiguration(
            yaml: config.replacingOccurrences(of: "/run/secrets/erasure-relay/", with: secrets.path + "/"),
            environment: environment
        )
        try configuration.validateForService()
        let customerio = try #require(configuration.vendors[VendorID(rawValue: "customerio")!])
        guard let definition = customerio.account as? HTTPVendorDefinition else {
            Issue.record("customerio is not a declared vendor")
            return
        }
        #expect(definition.secrets["api_key"]?.value == "secret-customerio-api-key")
        #expect(configuration.vendors.count == 5)
    }
}

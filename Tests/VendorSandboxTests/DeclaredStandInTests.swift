import AsyncHTTPClient
import CryptoExtras
import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Logging
import Testing
import VendorSandbox

extension AgainstTheSandbox {
    @Suite("The sandbox's stand-in for a declared vendor", .timeLimit(.minutes(2)))
    struct DeclaredStandInTests {
        let logger = TestLogs.quietLogger(label: "test")

        /// Runs `subjects` through a lane for the declared vendor of `file`, against a sandbox whose stand-in is built
        /// from `standInFile` (by default the same definition), or is `documented`, one written from the vendor's
        /// documentation.
        private func run(
            _ file: String,
            standIn standInFile: String? = nil,
            subjects: [Subject],
            documented: DeclaredStandIn? = nil,
            tokenLifetime: (honoured: Int, advertised: Int?) = (3600, nil),
            configure: (inout SandboxConfiguration) -> Void = { _ in },
            settings adjust: (inout VendorSettings) -> Void = { _ in },
            faults: (VendorSandbox, String) async -> Void = { _, _ in }
        ) async throws -> (results: [VendorResult?], record: SandboxRecord) {
            let (vendor, standInSettings) = try exampleVendor(standInFile ?? file)
            var configuration = SandboxConfiguration()
            configuration.declared = [
                try documented ?? #require(
                    DeclaredStandIn(
                        vendor: vendor,
                        settings: standInSettings,
                        tokenLifetimeSeconds: tokenLifetime.honoured,
                        advertisedTokenLifetimeSeconds: tokenLifetime.advertised
                    )
                )
            ]
            configure(&configuration)
            return try await withVendorHTTPClient { client in
                try await withSandbox(configuration) { sandbox async throws in
                    let url = try #require(await sandbox.baseURLsByName()[vendor.rawValue])
                    var (_, settings) = try exampleVendor(file, base: url)
                    settings.batching.lingerMilliseconds = 20
                    settings.retry.initialBackoffMilliseconds = 10
                    settings.retry.maxBackoffMilliseconds = 50
                    adjust(&settings)
                    await faults(sandbox, vendor.rawValue)
                    let adapter = settings.makeAdapter()
                    let lane = VendorLane(
                        adapter: adapter,
                        settings: settings,
                        transport: HTTPVendorTransport(client: client),
                        logger: logger
                    )
                    let results = try await eraseConcurrently(subjects, through: lane, adapter: adapter)
                    return (results, try #require(await sandbox.record(ofVendorNamed: vendor.rawValue)))
                }
            }
        }

        private static let subjects = (0..<40).map { Subject(externalID: "u-\($0)", email: "p\($0)@example.com") }

        @Test(
            "Each example definition passes the stand-in built from it, identifiers recorded where it puts them",
            arguments: [
                ("amplitude.yaml", ["user_id": "external_id"]),
                ("customerio.yaml", ["id": "external_id"]),
                ("iterable.yaml", ["email": "email", "user_id": "external_id"]),
            ]
        )
        func anExamplePassesItsStandIn(file: String, recorded: [String: String]) async throws {
            let (results, record) = try await run(file, subjects: Self.subjects)
            #expect(results.count == Self.subjects.count)
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(record.malformedCalls == 0)
            #expect(record.quotaViolations == 0)
            for (name, field) in recorded {
                let sent = Self.subjects.compactMap { field == "email" ? $0.email : $0.externalID }
                #expect(Set(record.deleted[name] ?? []) == Set(sent), "\(name)")
            }
            #expect(Set(record.deleted.keys) == Set(recorded.keys))
        }

        /// A burst limit and a steady one, as Klaviyo documents for one endpoint: the stand-in counts both and refuses
        /// a call over either; the lane, given both as `rate_limit`, keeps to both. With only the burst limit it made
        /// 429s here, the steady limit being the one that binds.
        @Test func aBurstLimitAndASteadyLimitBothHold() async throws {
            let burst = SandboxConfiguration.Quota(requests: 4, windowSeconds: 1)
            let steady = SandboxConfiguration.Quota(requests: 10, windowSeconds: 5)
            let subjects = (0..<14).map { Subject(externalID: "u-\($0)") }
            let (results, record) = try await run(
                "customerio.yaml",
                subjects: subjects,
                configure: {
                    $0.declared[0].quota = burst
                    $0.declared[0].otherQuotas = [steady]
                },
                settings: {
                    $0.rateLimits = [.init(requests: 4, windowSeconds: 1), .init(requests: 10, windowSeconds: 5)]
                    $0.maxConcurrency = 4
                }
            )
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(record.calls == subjects.count)
            #expect(record.quotaViolations == 0)
            #expect(record.peakCallsInWindow <= burst.requests)
        }

        /// Amplitude's documented batch of 100 user ids, against a stand-in that allows fewer calls than the definition
        /// says: the stand-in meters its own quota and answers 429 with the wait, and the lane waits and completes.
        @Test func batchesFillAndTheStandInMetersItsQuota() async throws {
            let subjects = (0..<250).map { Subject(externalID: "u-\($0)") }
            let (results, record) = try await run(
                "amplitude.yaml",
                subjects: subjects,
                configure: { $0.declared[0].quota = .init(requests: 1, windowSeconds: 3) }
            )
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(Set(record.deleted["user_id"] ?? []) == Set(subjects.map { $0.externalID! }))
            #expect(record.largestBatch == 100)
            #expect(record.quotaViolations > 0)
            #expect(record.callsBeforeRetryAfter == 0)
        }

        /// Auth0's token lasts a day; here it lasts one second, so the lane fetches new ones mid-run, before each
        /// expires, and every call carries a token the vendor still honours.
        @Test func anOAuth2TokenThatExpiresMidRunIsFetchedAgain() async throws {
            let subjects = (0..<30).map { Subject(externalID: "auth0|u-\($0)") }
            let (results, record) = try await run(
                "auth0.yaml",
                subjects: subjects,
                tokenLifetime: (1, nil),
                configure: { $0.declared[0].quota = .init(requests: 10, windowSeconds: 1) },
                settings: {
                    $0.rateLimits = [.init(requests: 10, windowSeconds: 1)]
                    $0.maxConcurrency = 1
                }
            )
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(Set(record.deleted["user_id"] ?? []) == Set(subjects.map { $0.externalID! }))
            // Thirty calls at ten a second take three seconds: at least three tokens of one second each.
            #expect(record.tokensIssued >= 3)
            #expect(record.tokensRefused == 0)
        }

        /// A vendor that stops honouring a token before the `expires_in` it gave: the 401 drops the token, the call
        /// is retried through the rate limiter with a new one, and every erasure still completes.
        @Test func aTokenTheVendorRevokesIsReplacedAfterTheRefusal() async throws {
            let subjects = (0..<20).map { Subject(externalID: "auth0|u-\($0)") }
            let (results, record) = try await run(
                "auth0.yaml",
                subjects: subjects,
                tokenLifetime: (1, 3600),
                configure: { $0.declared[0].quota = .init(requests: 10, windowSeconds: 1) },
                settings: {
                    $0.rateLimits = [.init(requests: 10, windowSeconds: 1)]
                    $0.maxConcurrency = 1
                }
            )
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(record.tokensIssued >= 2, "a new token after each refusal")
            #expect(record.malformedCalls >= 1, "calls refused for their revoked token")
            #expect(record.quotaViolations == 0, "retries after a refusal keep to the quota")
        }

        /// Client credentials the token endpoint refuses: no call reaches the API, no erasure is reported done, and
        /// the error names the endpoint's answer without repeating the secret.
        @Test func aTokenEndpointThatRefusesIsAnOutageNeverACompletion() async throws {
            let subjects = (0..<3).map { Subject(externalID: "auth0|u-\($0)") }
            let (results, record) = try await run(
                "auth0.yaml",
                subjects: subjects,
                settings: {
                    var definition = $0.account as! HTTPVendorDefinition
                    definition.secrets["client_secret"] = Secret("not-the-secret-the-vendor-knows")
                    $0.account = definition
                    $0.retry.maxAttempts = 3
                }
            )
            #expect(results.allSatisfy { $0?.status == .failed && $0?.retriesExhausted == true })
            #expect(
                results.contains { $0?.error?.contains("token endpoint answered HTTP 401 (invalid_client)") == true }
            )
            #expect(!results.contains { $0?.error?.contains("not-the-secret") == true })
            #expect(record.calls == 0, "no API call without a token")
            #expect(record.tokensRefused >= 1)
            #expect(record.deleted.isEmpty)
        }

        /// Google Analytics' user deletion with a service account: the lane signs an assertion with its private
        /// key, the stand-in verifies it with the public half and issues a token, and every deletion carries it.
        @Test func aServiceAccountsSignedAssertionObtainsTheToken() async throws {
            let subjects = (0..<10).map { Subject(externalID: "ga-user-\($0)") }
            let (results, record) = try await run(
                "google_analytics.yaml",
                subjects: subjects,
                configure: { $0.declared[0].quota = .init(requests: 20, windowSeconds: 1) },
                settings: { $0.rateLimits = [.init(requests: 20, windowSeconds: 1)] }
            )
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(Set(record.deleted["user_id"] ?? []) == Set(subjects.map { $0.externalID! }))
            #expect(record.tokensIssued == 1, "one token for the lane, shared by all its calls")
            #expect(record.malformedCalls == 0)
        }

        /// An assertion signed by another key than the one the vendor knows: no token, no call, no completion.
        @Test func anAssertionSignedByAnotherKeyIsRefused() async throws {
            let otherKey = try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
            let (results, record) = try await run(
                "google_analytics.yaml",
                subjects: [Subject(externalID: "ga-user-1")],
                settings: {
                    var definition = $0.account as! HTTPVendorDefinition
                    definition.secrets["private_key"] = Secret(otherKey)
                    $0.account = definition
                    $0.rateLimits = [.init(requests: 20, windowSeconds: 1)]
                    $0.retry.maxAttempts = 2
                }
            )
            #expect(results.allSatisfy { $0?.status == .failed && $0?.retriesExhausted == true })
            #expect(results.first??.error?.contains("token endpoint answered HTTP 400 (invalid_grant)") == true)
            #expect(record.calls == 0)
            #expect(record.tokensRefused >= 1)
        }

        /// Intercom erases by its own contact id: each identifier is searched for, then each contact found is
        /// deleted. No contact is `not_found`; two are two deletes; more than `max_matches` (5) is a failure with
        /// nothing deleted, never a mass delete.
        @Test func aLookUpFindsNoneOneOrSeveralAndNeverTooMany() async throws {
            let subjects = [
                Subject(email: "a@example.com"), Subject(email: "unknown-b@example.com"),
                Subject(email: "matches-2-c@example.com"), Subject(email: "matches-6-d@example.com"),
            ]
            let (results, record) = try await run("intercom.yaml", subjects: subjects)
            let byEmail = Dictionary(uniqueKeysWithValues: zip(subjects.map { $0.email! }, results))
            #expect(byEmail["a@example.com"]??.status == .accepted)
            #expect(byEmail["unknown-b@example.com"]??.status == .accepted)
            #expect(byEmail["unknown-b@example.com"]??.error == VendorText.notFound)
            #expect(byEmail["matches-2-c@example.com"]??.status == .accepted)
            #expect(byEmail["matches-6-d@example.com"]??.status == .failed)
            #expect(
                byEmail["matches-6-d@example.com"]??.error
                    == "look-up found 6 matches, more than max_matches 5; none deleted"
            )
            let expected =
                HTTPVendorDefinition.LookUp.standInIDs(of: "a@example.com", count: 1)
                + HTTPVendorDefinition.LookUp.standInIDs(of: "matches-2-c@example.com", count: 2)
            #expect(Set(record.deleted[HTTPVendorDefinition.foundID] ?? []) == Set(expected))
            #expect(record.lookUps == 4)
            #expect(record.calls == 4 + 3, "every look-up and every delete spends the quota")
            #expect(record.malformedCalls == 0)
        }

        /// Klaviyo, with its documented burst (3 a second) and steady (60 a minute) limits, both counted by the
        /// stand-in: every deletion job is requested, as JSON:API, with none refused for the quota.
        @Test func klaviyosBurstAndSteadyLimitsBothHold() async throws {
            let subjects = (0..<4).map { Subject(email: "p\($0)@example.com", phone: "+1555010\($0)") }
            let (results, record) = try await run("klaviyo.yaml", subjects: subjects)
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(Set(record.deleted["email"] ?? []) == Set(subjects.map { $0.email! }))
            #expect(Set(record.deleted["phone_number"] ?? []) == Set(subjects.map { $0.phone! }))
            #expect(record.quotaViolations == 0)
            #expect(record.malformedCalls == 0)
            #expect(record.peakCallsInWindow <= 3)
        }

        /// The Intercom definition against a stand-in written from Intercom's documentation alone, not from the
        /// definition, so that a definition that misreads the API fails here: every identifier is searched for by
        /// its field, every contact found is deleted by its id, and too many matches delete nothing.
        @Test func intercomsDefinitionPassesAStandInWrittenFromItsDocumentation() async throws {
            let subjects = [
                Subject(externalID: "u-1", email: "a@example.com"), Subject(email: "unknown-b@example.com"),
                Subject(email: "matches-2-c@example.com"), Subject(email: "matches-6-d@example.com"),
            ]
            let (results, record) = try await run(
                "intercom.yaml",
                subjects: subjects,
                documented: .intercom(accessToken: sandboxCredential("INTERCOM_ACCESS_TOKEN"))
            )
            #expect(results.map { $0?.status } == [.accepted, .accepted, .accepted, .failed])
            #expect(results[1]?.error == VendorText.notFound)
            #expect(record.lookUps == 5, "the first subject's e-mail and external id, then one e-mail each")
            #expect((record.deleted["contacts"] ?? []).count == 1 + 1 + 2)
            #expect(record.malformedCalls == 0)
        }

        /// The Auth0 definition against a stand-in written from Auth0's documentation alone: the token request
        /// carries the client credentials and the Management API's audience, and every delete the token.
        @Test func auth0sDefinitionPassesAStandInWrittenFromItsDocumentation() async throws {
            let subjects = (0..<10).map { Subject(externalID: "auth0|u-\($0)") }
            let (results, record) = try await run(
                "auth0.yaml",
                subjects: subjects,
                documented: .auth0(
                    clientID: sandboxCredential("AUTH0_CLIENT_ID"),
                    clientSecret: sandboxCredential("AUTH0_CLIENT_SECRET"),
                    audience: "https://\(sandboxCredential("AUTH0_DOMAIN"))/api/v2/",
                    quota: .init(requests: 20, windowSeconds: 1)
                ),
                settings: { $0.rateLimits = [.init(requests: 20, windowSeconds: 1)] }
            )
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(Set(record.deleted["users"] ?? []) == Set(subjects.map { $0.externalID! }))
            #expect(record.malformedCalls == 0)
        }

        /// The Klaviyo definition against a stand-in written from Klaviyo's documentation alone: JSON:API bodies with
        /// one identifier each, the key after `Klaviyo-API-Key`, and both documented limits counted.
        @Test func klaviyosDefinitionPassesAStandInWrittenFromItsDocumentation() async throws {
            let subjects = (0..<3).map { Subject(email: "p\($0)@example.com", phone: "+1555010\($0)") }
            let (results, record) = try await run(
                "klaviyo.yaml",
                subjects: subjects,
                documented: .klaviyo(apiKey: sandboxCredential("KLAVIYO_PRIVATE_API_KEY"))
            )
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(Set(record.deleted["email"] ?? []) == Set(subjects.map { $0.email! }))
            #expect(Set(record.deleted["phone_number"] ?? []) == Set(subjects.map { $0.phone! }))
            #expect(record.quotaViolations == 0)
            #expect(record.malformedCalls == 0)
        }

        /// The Google Analytics definition against a stand-in written from Google's documentation alone: the
        /// service account's signed assertion obtains the token, and each deletion request names the property.
        @Test func googleAnalyticsDefinitionPassesAStandInWrittenFromItsDocumentation() async throws {
            let subjects = (0..<5).map { Subject(externalID: "ga-user-\($0)") }
            let standIn = try #require(
                DeclaredStandIn.googleAnalytics(
                    serviceAccount: sandboxCredential("GOOGLE_ANALYTICS_CLIENT_EMAIL"),
                    privateKeyPEM: testPrivateKeyPEM,
                    propertyID: sandboxCredential("GOOGLE_ANALYTICS_PROPERTY_ID"),
                    quota: .init(requests: 20, windowSeconds: 1)
                )
            )
            let (results, record) = try await run(
                "google_analytics.yaml",
                subjects: subjects,
                documented: standIn,
                settings: { $0.rateLimits = [.init(requests: 20, windowSeconds: 1)] }
            )
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(Set(record.deleted["USER_ID"] ?? []) == Set(subjects.map { $0.externalID! }))
            #expect(record.tokensIssued == 1)
            #expect(record.malformedCalls == 0)
        }

        @Test func faultsAreRetriedAndAnUnknownUserIsNotFound() async throws {
            let subjects = [
                Subject(engagelabRegistrationIDs: ["u-1"]), Subject(engagelabRegistrationIDs: ["unknown-2"]),
            ]
            let (results, record) = try await run(
                "engagelab.yaml",
                subjects: subjects,
                faults: { sandbox, name in
                    await sandbox.inject(.status(503, retryAfterSeconds: nil), count: 2, intoVendorNamed: name)
                }
            )
            #expect(results.allSatisfy { $0?.status == .accepted })
            #expect(record.injectedFaults == 2)
            #expect(record.deleted["registration_id"] == ["u-1"])
            let notFound = results.compactMap { $0 }.filter { $0.error == VendorText.notFound }
            #expect(notFound.count == 1)
        }

        @Test func aCallTheDefinitionWouldNotMakeIsRefusedAndNeverCompletes() async throws {
            // The relay sends Customer.io's calls to a stand-in that expects Iterable's: wrong method, path and auth.
            let (results, record) = try await run(
                "customerio.yaml",
                standIn: "iterable.yaml",
                subjects: [Subject(externalID: "u-1")]
            )
            #expect(results.allSatisfy { $0?.status != .accepted })
            #expect(record.deleted.isEmpty)
            #expect(record.acceptedCalls == 0)
        }
    }
}

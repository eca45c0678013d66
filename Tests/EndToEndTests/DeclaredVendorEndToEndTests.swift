import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("A declared vendor end to end", .serialized, .timeLimit(.minutes(3)))
struct DeclaredVendorEndToEndTests {
    let logger = TestLogs.logger(label: "declared")

    /// Braze, declared from `examples/vendors/braze.yaml` and pointed at the strict Braze stand-in, serves requests
    /// as the built-in vendor would: it is named in requests, batched, parked under its own name while the vendor is
    /// down, and reported in outcomes by the name the configuration gives it.
    @Test func aDeclaredVendorIsCalledParkedAndReportedByItsName() async throws {
        let count = 8
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 2, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let sandbox = testbed.sandbox
            var configuration = testbed.configuration
            let brazeURL = try #require(await sandbox.baseURLs()[.braze])
            var (declared, settings) = try exampleVendor("braze.yaml", base: brazeURL)
            settings.retry.maxAttempts = 2
            settings.retry.initialBackoffMilliseconds = 20
            settings.retry.maxBackoffMilliseconds = 50
            configuration.vendors = configuration.vendors.filter { $0.key == .moengage }
            configuration.vendors[declared] = settings
            configuration.parking.initialDelaySeconds = 1
            configuration.parking.maxDelaySeconds = 1
            await sandbox.inject(.status(500), count: 1_000_000, into: .braze)
            try await withRelay(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: collector
            ) {
                let requests = (0..<count).map { index in
                    (
                        key: "k\(index)",
                        value: requestJSON(
                            id: "r-\(index)",
                            subject: ["external_id": "u-\(index)", "email": "p\(index)@example.com"],
                            vendors: index == 0 ? ["braze_declared"] : nil
                        )
                    )
                }
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", keyed: requests)
                let parked = try await TopicReader.read(
                    bootstrap: bootstrap,
                    topic: "user-erasure-retry",
                    count: count,
                    logger: logger
                )
                for record in parked {
                    let progress = try #require(try RequestProgress(headers: record.headers))
                    #expect(progress.pendingVendors == [declared])
                }
                #expect(collector.all.isEmpty, "no outcome while the declared vendor is down")
                await sandbox.clearFaults(of: .braze)
                _ = try await collector.wait(for: count)
            }
            let outcomes = collector.all
            #expect(Set(outcomes.compactMap(\.requestID)) == Set((0..<count).map { "r-\($0)" }))
            for outcome in outcomes {
                #expect(outcome.status == .completed)
                let result = try #require(outcome.vendors.first { $0.vendor == declared })
                #expect(result.status == .accepted)
                #expect(result.identifiers == 2)
                let expected: [VendorID] = outcome.requestID == "r-0" ? [declared] : [.moengage, declared]
                #expect(outcome.vendors.map(\.vendor) == expected)
            }
            let record = await sandbox.record(of: .braze)
            #expect(Set(record.deleted["external_ids"] ?? []) == Set((0..<count).map { "u-\($0)" }))
            #expect(Set(record.deleted["email_addresses"] ?? []) == Set((0..<count).map { "p\($0)@example.com" }))
            #expect(record.malformedCalls == 0)
        }
    }

    /// Sends one request per subject (`r-0`, `r-1`, ...) through a relay whose only vendor is `vendor`, declared
    /// with `settings`, against the stand-in `standIn`; returns the outcomes by request id, once all are published, and
    /// what the stand-in saw.
    private func relay(
        _ subjects: [[String: Any]],
        to vendor: VendorID,
        declared settings: VendorSettings,
        standIn: DeclaredStandIn
    ) async throws -> (outcomes: [String: Outcome], record: SandboxRecord) {
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.declared = [standIn]
        let collector = OutcomeCollector()
        return try await withRelayTestbed(partitions: 2, sandbox: sandboxConfiguration, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let configuration = try await testbed.configuration(declaring: vendor, settings)
            try await withRelay(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: collector
            ) {
                let requests = subjects.enumerated().map { index, subject in
                    (key: "k\(index)", value: requestJSON(id: "r-\(index)", subject: subject))
                }
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", keyed: requests)
                _ = try await collector.wait(for: subjects.count)
            }
            let outcomes = collector.all.compactMap { outcome in outcome.requestID.map { ($0, outcome) } }
            let record = try #require(await testbed.sandbox.record(ofVendorNamed: vendor.rawValue))
            return (Dictionary(outcomes) { first, _ in first }, record)
        }
    }

    /// Auth0, declared from `examples/vendors/auth0.yaml`: a bearer token from the client credentials grant, which
    /// the stand-in, written from Auth0's documentation, honours for one second only. The lane fetches a token before its first call and new ones as
    /// each expires; every request completes, and no token or client secret reaches an outcome.
    @Test func anOAuth2VendorCompletesWhileItsTokensExpireMidRun() async throws {
        let count = 40
        let (vendor, settings) = try exampleVendor("auth0.yaml")
        let standIn = DeclaredStandIn.auth0(
            clientID: sandboxCredential("AUTH0_CLIENT_ID"),
            clientSecret: sandboxCredential("AUTH0_CLIENT_SECRET"),
            audience: "https://\(sandboxCredential("AUTH0_DOMAIN"))/api/v2/",
            quota: .init(requests: 20, windowSeconds: 1),
            tokenLifetimeSeconds: 1
        )
        var declared = settings
        declared.rateLimits = [.init(requests: 20, windowSeconds: 1)]
        let (outcomes, record) = try await relay(
            (0..<count).map { ["external_id": "auth0|u-\($0)"] },
            to: vendor,
            declared: declared,
            standIn: standIn
        )
        #expect(outcomes.count == count)
        #expect(outcomes.values.allSatisfy { $0.status == .completed && $0.vendors.map(\.vendor) == [vendor] })
        #expect(Set(record.deleted["users"] ?? []) == Set((0..<count).map { "auth0|u-\($0)" }))
        // Forty calls at twenty a second take two seconds: at least two tokens of one second each.
        #expect(record.tokensIssued >= 2)
        let secret = try #require((settings.account as? HTTPVendorDefinition)?.secrets["client_secret"]?.value)
        let written = outcomes.values.map { String(decoding: $0.jsonBytes(), as: UTF8.self) }.joined()
        #expect(!written.contains("auth0.sandbox") && !written.contains(secret))
    }

    /// Intercom, declared from `examples/vendors/intercom.yaml`, against a stand-in written from Intercom's
    /// documentation: each e-mail is searched for, then each contact found deleted. Through the relay, a request whose e-mail has one contact or none completes; one with more contacts
    /// than `max_matches` fails, with nothing deleted, and its outcome says why.
    @Test func aLookUpVendorCompletesOnlyWhatItCouldFindAndDelete() async throws {
        let (vendor, settings) = try exampleVendor("intercom.yaml")
        let emails = [
            "one@example.com", "unknown-none@example.com", "matches-3-three@example.com", "matches-9-x@example.com",
        ]
        let (outcomes, record) = try await relay(
            emails.map { ["email": $0] },
            to: vendor,
            declared: settings,
            standIn: .intercom(accessToken: sandboxCredential("INTERCOM_ACCESS_TOKEN"))
        )
        #expect(outcomes["r-0"]?.status == .completed)
        #expect(outcomes["r-1"]?.status == .completed)
        #expect(outcomes["r-1"]?.vendors.first?.error == VendorText.notFound)
        #expect(outcomes["r-2"]?.status == .completed)
        #expect(outcomes["r-3"]?.status == .failed)
        #expect(outcomes["r-3"]?.vendors.first?.error?.contains("9 matches, more than max_matches 5") == true)
        #expect((record.deleted["contacts"] ?? []).count == 1 + 3)
        #expect(record.malformedCalls == 0)
        let written = outcomes.values.map { String(decoding: $0.jsonBytes(), as: UTF8.self) }.joined()
        for id in record.deleted["contacts"] ?? [] {
            #expect(!written.contains(id), "the vendor's ids are the user's too, and stay out of outcomes")
        }
    }

    /// Klaviyo, declared from `examples/vendors/klaviyo.yaml` with a burst and a steady limit, against a stand-in
    /// written from Klaviyo's documentation that counts both: through the relay, every request completes and no
    /// call goes over either limit, though fourteen calls must wait on the steady one.
    @Test func bothOfAVendorsQuotasHoldThroughTheRelay() async throws {
        let (vendor, settings) = try exampleVendor("klaviyo.yaml")
        let burst = SandboxConfiguration.Quota(requests: 4, windowSeconds: 1)
        let steady = SandboxConfiguration.Quota(requests: 10, windowSeconds: 5)
        var standIn = DeclaredStandIn.klaviyo(apiKey: sandboxCredential("KLAVIYO_PRIVATE_API_KEY"))
        (standIn.quota, standIn.otherQuotas) = (burst, [steady])
        var declared = settings
        declared.rateLimits = [.init(requests: 4, windowSeconds: 1), .init(requests: 10, windowSeconds: 5)]
        let emails = (0..<14).map { "p\($0)@example.com" }
        let (outcomes, record) = try await relay(
            emails.map { ["email": $0] },
            to: vendor,
            declared: declared,
            standIn: standIn
        )
        #expect(outcomes.count == emails.count)
        #expect(outcomes.values.allSatisfy { $0.status == .completed })
        #expect(Set(record.deleted["email"] ?? []) == Set(emails))
        #expect(record.quotaViolations == 0)
        #expect(record.peakCallsInWindow <= burst.requests)
        #expect(record.malformedCalls == 0)
    }

    /// Google Analytics, declared from `examples/vendors/google_analytics.yaml`, against a stand-in written from
    /// Google's documentation that verifies the service account's signed assertion: through the relay, every request
    /// completes with a token the stand-in issued, and neither the token nor the key reaches an outcome.
    @Test func aJWTBearerVendorCompletesThroughTheRelay() async throws {
        let (vendor, settings) = try exampleVendor("google_analytics.yaml")
        let standIn = try #require(
            DeclaredStandIn.googleAnalytics(
                serviceAccount: sandboxCredential("GOOGLE_ANALYTICS_CLIENT_EMAIL"),
                privateKeyPEM: testPrivateKeyPEM,
                propertyID: sandboxCredential("GOOGLE_ANALYTICS_PROPERTY_ID"),
                quota: .init(requests: 20, windowSeconds: 1)
            )
        )
        var declared = settings
        declared.rateLimits = [.init(requests: 20, windowSeconds: 1)]
        let users = (0..<6).map { "ga-user-\($0)" }
        let (outcomes, record) = try await relay(
            users.map { ["external_id": $0] },
            to: vendor,
            declared: declared,
            standIn: standIn
        )
        #expect(outcomes.count == users.count)
        #expect(outcomes.values.allSatisfy { $0.status == .completed })
        #expect(Set(record.deleted["USER_ID"] ?? []) == Set(users))
        #expect(record.tokensIssued >= 1)
        #expect(record.malformedCalls == 0)
        let written = outcomes.values.map { String(decoding: $0.jsonBytes(), as: UTF8.self) }.joined()
        #expect(!written.contains("ya29.") && !written.contains("PRIVATE KEY"))
    }
}

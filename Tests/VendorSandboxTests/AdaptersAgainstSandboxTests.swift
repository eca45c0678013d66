import AsyncHTTPClient
import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Logging
import Synchronization
import Testing
import VendorSandbox

extension AgainstTheSandbox {
    @Suite("Adapters and lanes against the sandbox", .timeLimit(.minutes(2)))
    struct AdaptersAgainstSandboxTests {
        let logger = TestLogs.quietLogger(label: "test")

        private func request(_ index: Int, _ subject: Subject) -> ErasureRequest {
            ErasureRequest(requestID: "r-\(index)", regulation: .gdpr, submittedAt: .now(), subject: subject)
        }

        private func lanes(
            for sandbox: VendorSandbox,
            client: HTTPClient,
            adjust: (inout VendorSettings) -> Void = { _ in }
        ) async throws -> [VendorID: VendorLane] {
            var result: [VendorID: VendorLane] = [:]
            for (vendor, var settings) in try await sandbox.relayVendorSettings() {
                settings.batching.lingerMilliseconds = 20
                settings.retry.initialBackoffMilliseconds = 10
                settings.retry.maxBackoffMilliseconds = 50
                adjust(&settings)
                result[vendor] = VendorLane(
                    adapter: settings.makeAdapter(),
                    settings: settings,
                    transport: HTTPVendorTransport(client: client),
                    logger: logger
                )
            }
            return result
        }

        /// The sandbox and the relay read each vendor's documents apart, so that one checks the other; their two
        /// registries must still name the same vendors and agree on every documented quota.
        @Test func everyBuiltInVendorHasAStandInMeteringItsDocumentedQuota() {
            #expect(SandboxVendor.allCases.map(\.rawValue) == BuiltInVendor.registry.map(\.id.rawValue))
            let quotas = SandboxConfiguration().quotas
            for vendor in BuiltInVendor.registry {
                let documented = vendor.documentedRateLimit
                let quota = SandboxVendor(rawValue: vendor.id.rawValue).flatMap { quotas[$0] }
                #expect(
                    quota
                        == SandboxConfiguration.Quota(
                            requests: documented.requests,
                            windowSeconds: Double(documented.windowSeconds)
                        ),
                    "\(vendor.id)"
                )
            }
        }

        @Test func everyAdapterDeletesEveryIdentifierItUnderstands() async throws {
            try await withVendorHTTPClient { client in
                try await withSandbox { sandbox async throws in
                    let lanes = try await lanes(for: sandbox, client: client)
                    let processor = RequestProcessor(lanes: Array(lanes.values))
                    let subjects = (0..<60).map { index in
                        Subject(
                            externalID: "u-\(index)",
                            brazeID: "b-\(index)",
                            moengageID: "m-\(index)",
                            email: "p\(index)@example.com",
                            phone: "+1555000\(String(format: "%04d", index))",
                            userAliases: [UserAlias(aliasName: "alias-\(index)", aliasLabel: "crm")],
                            engagelabRegistrationIDs: ["reg/\(index)?#"],
                            googleAdvertisingID: "gaid-\(index)"
                        )
                    }
                    let results = try await withRunningLanes(Array(lanes.values)) {
                        await withTaskGroup(of: [VendorResult]?.self) { group in
                            for (index, subject) in subjects.enumerated() {
                                group.addTask { await processor.process(request(index, subject)) }
                            }
                            var all: [[VendorResult]?] = []
                            for await result in group { all.append(result) }
                            return all
                        }
                    }
                    #expect(results.count == 60)
                    for vendorResults in results {
                        #expect(vendorResults?.map(\.vendor) == [.braze, .moengage, .moengageGDPR, .engagelab])
                        #expect(vendorResults?.allSatisfy { $0.status == .accepted } == true)
                    }
                    let braze = await sandbox.record(of: .braze)
                    #expect(Set(braze.deleted["external_ids"] ?? []) == Set(subjects.map { $0.externalID! }))
                    #expect(Set(braze.deleted["braze_ids"] ?? []) == Set(subjects.map { $0.brazeID! }))
                    #expect(Set(braze.deleted["email_addresses"] ?? []) == Set(subjects.map { $0.email! }))
                    #expect(Set(braze.deleted["phone_numbers"] ?? []) == Set(subjects.map { $0.phone! }))
                    #expect(braze.deleted["user_aliases"]?.count == 60)
                    #expect(braze.largestBatch == 50)
                    #expect(braze.malformedCalls == 0)
                    let moengage = await sandbox.record(of: .moengage)
                    #expect(Set(moengage.deleted["customer_id"] ?? []) == Set(subjects.map { $0.externalID! }))
                    #expect(Set(moengage.deleted["moengage_id"] ?? []) == Set(subjects.map { $0.moengageID! }))
                    let gdpr = await sandbox.record(of: .moengageGDPR)
                    #expect(gdpr.deleted["identities"]?.count == 60 * 4)
                    #expect(gdpr.largestBatch > 4)
                    let engagelab = await sandbox.record(of: .engagelab)
                    #expect(
                        Set(engagelab.deleted["registration_id"] ?? [])
                            == Set(subjects.map { $0.engagelabRegistrationIDs[0] })
                    )
                    for vendor in SandboxVendor.allCases {
                        #expect(await sandbox.record(of: vendor).malformedCalls == 0)
                    }
                }
            }
        }

        /// The seed vendors written as declared definitions (`examples/vendors/`), run through lanes over real HTTP, are
        /// taken by the same strict stand-ins as the built-in adapters: every identifier lands where the vendor expects
        /// it, in batches as large as the definition allows, with no malformed call.
        @Test(
            "A declared twin of a seed vendor passes its strict stand-in",
            arguments: [
                ("braze.yaml", SandboxVendor.braze),
                ("moengage.yaml", SandboxVendor.moengage),
                ("moengage_gdpr.yaml", SandboxVendor.moengageGDPR),
                ("engagelab.yaml", SandboxVendor.engagelab),
            ]
        )
        func aDeclaredTwinPassesItsStandIn(file: String, standIn: SandboxVendor) async throws {
            try await withVendorHTTPClient { client in
                try await withSandbox { sandbox async throws in
                    let url = try #require(await sandbox.baseURLs()[standIn])
                    var (_, settings) = try exampleVendor(file, base: url)
                    settings.batching.lingerMilliseconds = 20
                    let adapter = settings.makeAdapter()
                    let lane = VendorLane(
                        adapter: adapter,
                        settings: settings,
                        transport: HTTPVendorTransport(client: client),
                        logger: logger
                    )
                    let subjects = (0..<60).map { index in
                        Subject(
                            externalID: "u-\(index)",
                            brazeID: "b-\(index)",
                            moengageID: "m-\(index)",
                            email: "p\(index)@example.com",
                            phone: "+1555000\(String(format: "%04d", index))",
                            engagelabRegistrationIDs: ["reg/\(index)?#"],
                            googleAdvertisingID: "gaid-\(index)"
                        )
                    }
                    let results = try await eraseConcurrently(subjects, through: lane, adapter: adapter)
                    #expect(results.count == 60)
                    #expect(results.allSatisfy { $0?.status == .accepted })
                    let record = await sandbox.record(of: standIn)
                    #expect(record.malformedCalls == 0)
                    #expect(record.quotaViolations == 0)
                    switch standIn {
                    case .braze:
                        #expect(Set(record.deleted["external_ids"] ?? []) == Set(subjects.map { $0.externalID! }))
                        #expect(Set(record.deleted["braze_ids"] ?? []) == Set(subjects.map { $0.brazeID! }))
                        #expect(Set(record.deleted["email_addresses"] ?? []) == Set(subjects.map { $0.email! }))
                        #expect(Set(record.deleted["phone_numbers"] ?? []) == Set(subjects.map { $0.phone! }))
                        #expect(record.largestBatch == 50)
                    case .moengage:
                        #expect(Set(record.deleted["customer_id"] ?? []) == Set(subjects.map { $0.externalID! }))
                        #expect(Set(record.deleted["moengage_id"] ?? []) == Set(subjects.map { $0.moengageID! }))
                    case .moengageGDPR:
                        #expect(record.deleted["identities"]?.count == 60 * 4)
                        #expect(record.largestBatch > 4)
                    case .engagelab:
                        #expect(
                            Set(record.deleted["registration_id"] ?? [])
                                == Set(subjects.map { $0.engagelabRegistrationIDs[0] })
                        )
                    default:
                        Issue.record("no expectation for the stand-in \(standIn)")
                    }
                }
            }
        }

        /// The same requests, batched as a lane batches them and sent over HTTP to one strict stand-in, first by the
        /// built-in adapter and then by its declared twin: the stand-in receives the same calls, byte for byte
        /// (method, path, query, headers other than the user agent, body), takes them all, and each answer means
        /// the same to both.
        @Test(
            "A declared twin's calls reach the stand-in exactly as its built-in adapter's do",
            arguments: [
                ("braze.yaml", SandboxVendor.braze, 8),
                ("moengage.yaml", SandboxVendor.moengage, 150),
                ("moengage_gdpr.yaml", SandboxVendor.moengageGDPR, 2),
                ("engagelab.yaml", SandboxVendor.engagelab, 40),
            ]
        )
        func aDeclaredTwinsCallsArriveAsTheBuiltInAdaptersDo(
            file: String,
            standIn: SandboxVendor,
            calls: Int
        )
            async throws
        {
            var configuration = SandboxConfiguration()
            configuration.keepsReceivedCalls = true
            try await withVendorHTTPClient { client in
                try await withSandbox(configuration) { sandbox async throws in
                    let url = try #require(await sandbox.baseURLs()[standIn])
                    let vendor = try #require(VendorID(rawValue: standIn.rawValue))
                    let builtIn = try #require(try await sandbox.relayVendorSettings()[vendor])
                    let twin = try exampleVendor(file, base: url).1
                    let transport = HTTPVendorTransport(client: client)
                    let now = Timestamp.now()
                    let requests = twinComparisonSubjects.enumerated().map { request($0, $1) }
                    func send(
                        _ settings: VendorSettings
                    ) async throws -> (
                        received: [SandboxReceivedCall], answers: [String]
                    ) {
                        let adapter = settings.makeAdapter()
                        var answers: [String] = []
                        for batch in adapter.batches(of: requests.flatMap(adapter.items(for:)), now: now) {
                            let response = try await transport.send(
                                adapter.call(for: batch, now: now),
                                baseURL: settings.baseURL,
                                timeout: .seconds(10)
                            )
                            // The stand-in makes a reference up for each call.
                            answers.append(vendorStatusMeaning(of: adapter.classify(response), withReference: false))
                        }
                        let received = await sandbox.receivedCalls(ofVendorNamed: standIn.rawValue)
                        await sandbox.reset()
                        return (received.map(Self.withoutUserAgent), answers)
                    }
                    let fromBuiltIn = try await send(builtIn)
                    let fromTwin = try await send(twin)
                    #expect(fromBuiltIn.received.count == calls)
                    #expect(fromTwin.received.count == fromBuiltIn.received.count)
                    for (twinCall, builtInCall) in zip(fromTwin.received, fromBuiltIn.received) {
                        #expect(twinCall == builtInCall)
                    }
                    #expect(fromBuiltIn.answers.allSatisfy { $0.hasPrefix("accepted") })
                    #expect(fromTwin.answers == fromBuiltIn.answers)
                }
            }
        }

        private static func withoutUserAgent(_ call: SandboxReceivedCall) -> SandboxReceivedCall {
            var call = call
            call.headers["user-agent"] = nil
            return call
        }

        @Test func aLaneUnderBacklogUsesItsQuotaWithoutExceedingIt() async throws {
            var configuration = SandboxConfiguration()
            configuration.quotas[.engagelab] = .init(requests: 50, windowSeconds: 1)
            try await withVendorHTTPClient { client in
                try await withSandbox(configuration) { sandbox async throws in
                    let lanes = try await lanes(for: sandbox, client: client)
                    let lane = lanes[.engagelab]!
                    let adapter = (try await sandbox.relayVendorSettings())[.engagelab]!.makeAdapter()
                    let results = try await eraseConcurrently(
                        (0..<150).map { index in Subject(engagelabRegistrationIDs: ["r\(index)"]) },
                        through: lane,
                        adapter: adapter
                    )
                    #expect(results.allSatisfy { $0?.status == .accepted && $0?.attempts == 1 })
                    let record = await sandbox.record(of: .engagelab)
                    #expect(record.quotaViolations == 0)
                    #expect(record.acceptedCalls == 150)
                    #expect(record.peakCallsInWindow <= 50)
                    // The quota is used: the lane's share of it, 49 calls a second, less what timers firing late on a
                    // loaded machine cost.
                    #expect(record.peakCallsInWindow >= 45)
                }
            }
        }

        /// Requests target a vendor that is down and a healthy one at once, as the relay fans them out: the healthy
        /// vendor's erasures must all land within a bound while the other is still being retried.
        @Test func aVendorThatIsDownDoesNotHoldUpTheOthers() async throws {
            let count = 40
            let bound = Duration.seconds(3)
            try await withVendorHTTPClient { client in
                try await withSandbox { sandbox async throws in
                    await sandbox.inject(.status(503, retryAfterSeconds: nil), count: 100_000, into: .braze)
                    let lanes = try await lanes(for: sandbox, client: client) { settings in
                        settings.retry.maxAttempts = 1000
                        settings.retry.maxElapsedSeconds = 600
                        settings.retry.initialBackoffMilliseconds = 200
                        settings.retry.maxBackoffMilliseconds = 200
                    }
                    let processor = RequestProcessor(lanes: [lanes[.braze]!, lanes[.engagelab]!])
                    let finished = Recorded<String>()
                    try await withRunningLanes([lanes[.braze]!, lanes[.engagelab]!]) {
                        try await withThrowingTaskGroup(of: Void.self) { requests in
                            let started = ContinuousClock.now
                            for index in 0..<count {
                                requests.addTask {
                                    let subject = Subject(
                                        externalID: "u-\(index)",
                                        engagelabRegistrationIDs: ["r\(index)"]
                                    )
                                    _ = await processor.process(request(index, subject))
                                    finished.append("r-\(index)")
                                }
                            }
                            while (await sandbox.record(of: .engagelab).deleted["registration_id"]?.count ?? 0) < count
                            {
                                #expect(ContinuousClock.now - started < bound, "the healthy vendor was held up")
                                guard ContinuousClock.now - started < bound else { break }
                                try await Task.sleep(for: .milliseconds(10))
                            }
                            // Braze is still being retried, and so no request has finished: its failure held nothing up.
                            while await sandbox.record(of: .braze).calls < 2 {
                                try await Task.sleep(for: .milliseconds(10))
                            }
                            #expect(finished.values.isEmpty)
                            let brazeCalls = await sandbox.record(of: .braze).calls
                            while await sandbox.record(of: .braze).calls == brazeCalls {
                                try await Task.sleep(for: .milliseconds(10))
                            }
                            await lanes[.braze]!.abandonAll()
                            try await requests.waitForAll()
                        }
                    }
                    #expect(await sandbox.record(of: .engagelab).acceptedCalls == count)
                }
            }
        }

        @Test func aPayloadTheVendorFindsTooLargeIsSplit() async throws {
            try await withVendorHTTPClient { client in
                try await withSandbox { sandbox async throws in
                    await sandbox.inject(.status(413), count: 1, into: .moengageGDPR)
                    // The four go as one batch however the machine schedules them: it leaves when full.
                    let lanes = try await lanes(for: sandbox, client: client) { settings in
                        settings.batching.maxSize = 4
                        settings.batching.lingerMilliseconds = 600_000
                        settings.batching.lingerWhenIdle = true
                    }
                    let lane = lanes[.moengageGDPR]!
                    let adapter = (try await sandbox.relayVendorSettings())[.moengageGDPR]!.makeAdapter()
                    let results = try await eraseConcurrently(
                        (0..<4).map { Subject(externalID: "u\($0)") },
                        through: lane,
                        adapter: adapter
                    )
                    #expect(results.allSatisfy { $0?.status == .accepted })
                    let record = await sandbox.record(of: .moengageGDPR)
                    #expect(record.calls == 3)
                    #expect(Set(record.deleted["identities"] ?? []) == Set((0..<4).map { "ID:u\($0)" }))
                }
            }
        }
    }
}

import AsyncHTTPClient
import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Logging
import Synchronization
import Testing
import VendorSandbox

@Suite("Adapters and lanes against the sandbox", .timeLimit(.minutes(2)))
struct AdaptersAgainstSandboxTests {
    let logger = Logger(label: "test")

    private func request(_ index: Int, _ subject: Subject) -> ErasureRequest {
        ErasureRequest(requestID: "r-\(index)", regulation: .gdpr, submittedAt: .now(), subject: subject)
    }

    private func lanes(
        for sandbox: VendorSandbox,
        client: HTTPClient,
        adjust: (inout VendorSettings) -> Void = { _ in }
    ) async -> [VendorID: VendorLane] {
        var result: [VendorID: VendorLane] = [:]
        for (vendor, var settings) in await sandbox.relayVendorSettings() {
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

    @Test func everyAdapterDeletesEveryIdentifierItUnderstands() async throws {
        try await withVendorHTTPClient { client in
            try await withSandbox { sandbox async throws in
                let lanes = await lanes(for: sandbox, client: client)
                let adapters = await sandbox.relayVendorSettings().values.map { $0.makeAdapter() }
                let processor = RequestProcessor(lanes: Array(lanes.values), adapters: adapters)
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

    @Test func aLaneUnderBacklogUsesItsQuotaWithoutExceedingIt() async throws {
        var configuration = SandboxConfiguration()
        configuration.quotas[.engagelab] = .init(requests: 50, windowSeconds: 1)
        try await withVendorHTTPClient { client in
            try await withSandbox(configuration) { sandbox async throws in
                let lanes = await lanes(for: sandbox, client: client)
                let lane = lanes[.engagelab]!
                let adapter = (await sandbox.relayVendorSettings())[.engagelab]!.makeAdapter()
                let results = try await withRunningLanes([lane]) {
                    await withTaskGroup(of: VendorResult?.self) { group in
                        for index in 0..<150 {
                            group.addTask {
                                await lane.erase(
                                    adapter.items(for: request(index, Subject(engagelabRegistrationIDs: ["r\(index)"])))
                                )
                            }
                        }
                        var all: [VendorResult?] = []
                        for await result in group { all.append(result) }
                        return all
                    }
                }
                #expect(results.allSatisfy { $0?.status == .accepted && $0?.attempts == 1 })
                let record = await sandbox.record(of: .engagelab)
                #expect(record.quotaViolations == 0)
                #expect(record.acceptedCalls == 150)
                #expect(record.peakCallsInWindow <= 50)
                #expect(record.peakCallsInWindow >= 48)
            }
        }
    }

    @Test func aVendorThatIsDownDoesNotHoldUpTheOthers() async throws {
        try await withVendorHTTPClient { client in
            try await withSandbox { sandbox async throws in
                await sandbox.inject(.status(503, retryAfterSeconds: nil), count: 1000, into: .braze)
                let lanes = await lanes(for: sandbox, client: client) { settings in
                    settings.retry.maxAttempts = 1000
                    settings.retry.maxElapsedSeconds = 600
                    settings.retry.initialBackoffMilliseconds = 200
                    settings.retry.maxBackoffMilliseconds = 200
                }
                let brazeAdapter = (await sandbox.relayVendorSettings())[.braze]!.makeAdapter()
                let engagelabAdapter = (await sandbox.relayVendorSettings())[.engagelab]!.makeAdapter()
                let finished = Recorded<VendorID>()
                let brazeLane = lanes[.braze]!
                let engagelabLane = lanes[.engagelab]!
                try await withRunningLanes(Array(lanes.values)) {
                    async let stuck: Void = {
                        _ = await brazeLane.erase(brazeAdapter.items(for: request(0, Subject(externalID: "u"))))
                        finished.append(.braze)
                    }()
                    await withTaskGroup(of: Void.self) { healthy in
                        for index in 0..<40 {
                            healthy.addTask {
                                _ = await engagelabLane.erase(
                                    engagelabAdapter.items(
                                        for: request(index, Subject(engagelabRegistrationIDs: ["r\(index)"]))
                                    )
                                )
                                finished.append(.engagelab)
                            }
                        }
                    }
                    // The healthy lane is done; only then give up on the failing vendor.
                    await brazeLane.abandonAll()
                    await stuck
                }
                let order = finished.values
                #expect(order.prefix(40).allSatisfy { $0 == .engagelab })
                #expect(await sandbox.record(of: .braze).calls >= 2)
                #expect(await sandbox.record(of: .engagelab).acceptedCalls == 40)
            }
        }
    }

    @Test func aPayloadTheVendorFindsTooLargeIsSplit() async throws {
        try await withVendorHTTPClient { client in
            try await withSandbox { sandbox async throws in
                await sandbox.inject(.status(413), count: 1, into: .moengageGDPR)
                let lanes = await lanes(for: sandbox, client: client)
                let lane = lanes[.moengageGDPR]!
                let adapter = (await sandbox.relayVendorSettings())[.moengageGDPR]!.makeAdapter()
                let results = try await withRunningLanes([lane]) {
                    await withTaskGroup(of: VendorResult?.self) { group in
                        for index in 0..<4 {
                            group.addTask {
                                await lane.erase(adapter.items(for: request(index, Subject(externalID: "u\(index)"))))
                            }
                        }
                        var all: [VendorResult?] = []
                        for await result in group { all.append(result) }
                        return all
                    }
                }
                #expect(results.allSatisfy { $0?.status == .accepted })
                let record = await sandbox.record(of: .moengageGDPR)
                #expect(record.calls == 3)
                #expect(Set(record.deleted["identities"] ?? []) == Set((0..<4).map { "ID:u\($0)" }))
            }
        }
    }
}

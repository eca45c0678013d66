import ErasureRelay
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
}

import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("Quotas across replicas", .serialized, .timeLimit(.minutes(3)))
struct ReplicaQuotaTests {
    let logger = TestLogs.logger(label: "replicas")

    @Test func twoReplicasShareOneQuotaWithoutExceedingIt() async throws {
        var sandboxConfiguration = SandboxConfiguration()
        // 50 calls a second, counted over 10 s windows as vendors count over minutes: the limiter's 2% margin then
        // absorbs 200 ms of uneven delay between a call leaving and the vendor counting it.
        sandboxConfiguration.quotas[.engagelab] = .init(requests: 500, windowSeconds: 10)
        // About 30 s of work at the group's 49 calls a second: enough for a full 10 s window at that rate besides the
        // start-up and the rebalance that brings in the second replica, during which the group runs at half rate.
        let count = 1500
        let requests = (0..<count).map {
            requestJSON(id: "r-\($0)", subject: ["engagelab_registration_ids": ["reg-\($0)"]], vendors: ["engagelab"])
        }
        let all = OutcomeCollector()
        let first = OutcomeCollector()
        let second = OutcomeCollector()
        try await withRelayTestbed(partitions: 4, sandbox: sandboxConfiguration, logger: logger) { testbed in
            try await Kcat.produce(
                bootstrap: testbed.bootstrapServers,
                topic: "user-erasure",
                keyed: requests.enumerated().map { ("key-\($0.offset)", $0.element) }
            )
            var configuration = testbed.configuration
            configuration.vendors = configuration.vendors.filter { $0.key == .engagelab }
            try await withRelay(
                configuration: configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                observer: {
                    all.record($0)
                    first.record($0)
                }
            ) {
                try await withRelay(
                    configuration: configuration,
                    bootstrapServers: testbed.bootstrapServers,
                    logger: logger,
                    observer: {
                        all.record($0)
                        second.record($0)
                    }
                ) {
                    // Both replicas stay up until the whole backlog is done.
                    _ = try await all.wait(for: count, timeout: .seconds(120))
                }
            }
            let record = await testbed.sandbox.record(of: .engagelab)
            #expect(record.quotaViolations == 0)
            #expect(record.peakCallsInWindow <= 500)
            #expect(record.peakCallsInWindow >= 450, "the group used less than 90% of the quota under backlog")
            #expect(Set(record.deleted["registration_id"] ?? []).count == count)
        }
        #expect(!first.all.isEmpty && !second.all.isEmpty, "one replica never got partitions")
        let ids = Set((first.all + second.all).compactMap(\.requestID))
        #expect(ids.count == count)
    }
}

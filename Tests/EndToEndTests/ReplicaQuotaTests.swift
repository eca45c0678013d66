import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("Quotas across replicas", .serialized, .timeLimit(.minutes(3)))
struct ReplicaQuotaTests {
    let logger = Logger(label: "replicas")

    @Test func twoReplicasShareOneQuotaWithoutExceedingIt() async throws {
        let (broker, testConfiguration) = try relayTestBroker(partitions: 4, logger: logger)
        defer { broker.shutdown() }
        var configuration = testConfiguration
        var sandboxConfiguration = SandboxConfiguration()
        // 50 calls a second, counted over 10 s windows as vendors count over minutes: the limiter's 2% margin then
        // absorbs 200 ms of uneven delay between a call leaving and the vendor counting it.
        sandboxConfiguration.quotas[.engagelab] = .init(requests: 500, windowSeconds: 10)
        let count = 900
        let requests = (0..<count).map {
            requestJSON(id: "r-\($0)", subject: ["engagelab_registration_ids": ["reg-\($0)"]], vendors: ["engagelab"])
        }
        try await Kcat.produce(bootstrap: broker.bootstrapServers, topic: "user-erasure",
                               keyed: requests.enumerated().map { ("key-\($0.offset)", $0.element) })
        let all = OutcomeCollector()
        let first = OutcomeCollector()
        let second = OutcomeCollector()
        try await withSandbox(sandboxConfiguration, logger: logger) { sandbox async throws in
            configuration.vendors = await sandbox.relayVendorSettings().filter { $0.key == .engagelab }
            try await withRelay(configuration: configuration, bootstrapServers: broker.bootstrapServers,
                                logger: logger, observer: { all.record($0); first.record($0) }) {
                try await withRelay(configuration: configuration, bootstrapServers: broker.bootstrapServers,
                                    logger: logger, observer: { all.record($0); second.record($0) }) {
                    // Both replicas stay up until the whole backlog is done.
                    _ = try await all.wait(for: count, timeout: .seconds(120))
                }
            }
            let record = await sandbox.record(of: .engagelab)
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

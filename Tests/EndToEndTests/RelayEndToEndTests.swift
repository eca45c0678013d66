import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("End to end through the embedded broker", .serialized, .timeLimit(.minutes(3)))
struct RelayEndToEndTests {
    let logger = Logger(label: "e2e")

    @Test func requestsBecomeVendorCallsAndOutcomes() async throws {
        let collector = OutcomeCollector()
        let requests = [
            requestJSON(
                id: "full",
                subject: [
                    "external_id": "u-1", "braze_id": "b-1", "moengage_id": "m-1", "email": "one@example.com",
                    "phone": "+15550000001", "engagelab_registration_ids": ["reg-1", "reg_2"],
                    "user_aliases": [["alias_name": "alias-one", "alias_label": "crm"]],
                ]
            ),
            requestJSON(id: "braze-only", regulation: "ccpa", subject: ["external_id": "u-2"], vendors: ["braze"]),
            requestJSON(id: "engagelab-skips", subject: ["braze_id": "braze-three"], vendors: ["braze", "engagelab"]),
            requestJSON(id: "unknown-user", subject: ["external_id": "unknown-4"], vendors: ["moengage"]),
            #"{"request_id":"bad-1","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"nope"}}"#,
            "{not json",
        ]
        try await withRelayTestbed(partitions: 3, logger: logger) { testbed in
            let broker = testbed.broker
            let sandbox = testbed.sandbox
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: broker.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await Kcat.produce(bootstrap: broker.bootstrapServers, topic: "user-erasure", lines: requests)
                _ = try await collector.wait(for: requests.count)
            }
            let outcomes = Dictionary(collector.all.compactMap { o in o.requestID.map { ($0, o) } }) { first, _ in first
            }
            #expect(collector.all.count == requests.count)

            let full = try #require(outcomes["full"])
            #expect(full.status == .completed)
            #expect(full.vendors.map(\.vendor) == [.braze, .moengage, .moengageGDPR, .engagelab])
            #expect(full.vendors.map(\.identifiers) == [5, 2, 3, 2])
            #expect(full.deadline?.rfc3339 == "2026-12-22T10:00:00.000Z")
            #expect(full.vendors.first { $0.vendor == .moengageGDPR }?.reference != nil)

            #expect(outcomes["braze-only"]?.vendors.map(\.vendor) == [.braze])
            #expect(outcomes["braze-only"]?.regulation == .ccpa)
            #expect(outcomes["engagelab-skips"]?.vendors.map(\.status) == [.accepted, .skipped])
            #expect(outcomes["engagelab-skips"]?.status == .completed)
            #expect(outcomes["unknown-user"]?.vendors.first?.status == .accepted)
            #expect(outcomes["unknown-user"]?.vendors.first?.error == "not found")

            let rejected = try #require(outcomes["bad-1"])
            #expect(rejected.status == .rejected)
            #expect(rejected.error?.field == "subject.email")
            #expect(rejected.vendors.isEmpty)
            let unreadable = try #require(collector.all.first { $0.requestID == nil })
            #expect(unreadable.error?.code == "invalid_json")

            let braze = await sandbox.record(of: .braze)
            #expect(Set(braze.deleted["external_ids"] ?? []) == ["u-1", "u-2"])
            #expect(Set(braze.deleted["braze_ids"] ?? []) == ["b-1", "braze-three"])
            #expect(braze.deleted["email_addresses"] == ["one@example.com"])
            #expect(
                await sandbox.record(of: .engagelab).deleted["registration_id"].map(Set.init) == ["reg-1", "reg_2"]
            )
            #expect(await sandbox.record(of: .moengage).deleted["customer_id"] == ["u-1"])

            // What an independent client reads from the topics.
            let published = try await Kcat.consume(
                bootstrap: broker.bootstrapServers,
                topic: "user-erasure-outcomes",
                count: requests.count
            )
            #expect(published.count == requests.count)
            for line in published {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(object["source"] as? [String: Any] != nil)
                for identifier in [
                    "u-1", "one@example.com", "+15550000001", "reg-1", "braze-three", "alias-one", "nope",
                ] {
                    #expect(!line.contains(identifier), "an outcome holds an identifier")
                }
            }
            let deadLetters = try await Kcat.consume(
                bootstrap: broker.bootstrapServers,
                topic: "user-erasure-dlq",
                count: 2
            )
            #expect(Set(deadLetters) == [requests[4], requests[5]])
        }
    }

    @Test func offsetsAreCommittedOnlyOnceOutcomesArePublished() async throws {
        let collector = OutcomeCollector()
        let requests = (0..<30).map {
            requestJSON(id: "r-\($0)", subject: ["external_id": "u-\($0)"], vendors: ["braze"])
        }
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await Kcat.produce(bootstrap: testbed.bootstrapServers, topic: "user-erasure", lines: requests)
                _ = try await collector.wait(for: requests.count)
            }
            // After a clean shutdown the group's committed offset is past every request.
            let consumer = try KafkaConsumer(
                configuration: .init(bootstrapServers: testbed.bootstrapServers, properties: fastGroupProperties),
                groupID: testbed.configuration.kafka.groupID,
                logger: logger
            )
            let partition = TopicPartition(topic: "user-erasure", partition: 0)
            #expect(try await consumer.committedOffsets(for: [partition])[partition] == 30)
            await consumer.close()
        }
        #expect(Set(collector.all.compactMap(\.requestID)) == Set((0..<30).map { "r-\($0)" }))
    }
}

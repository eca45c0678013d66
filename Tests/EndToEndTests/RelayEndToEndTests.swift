import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("End to end through the embedded broker", .serialized, .timeLimit(.minutes(3)))
struct RelayEndToEndTests {
    let logger = TestLogs.logger(label: "e2e")

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
            var publishedIDs: [String] = []
            for line in published {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                publishedIDs.append(object["request_id"] as? String ?? "")
                #expect(object["source"] as? [String: Any] != nil)
                for identifier in [
                    "u-1", "one@example.com", "+15550000001", "reg-1", "braze-three", "alias-one", "nope",
                ] {
                    #expect(!line.contains(identifier), "an outcome holds an identifier")
                }
            }
            #expect(
                publishedIDs.sorted() == collector.all.map { $0.requestID ?? "" }.sorted(),
                "the topic holds what the relay reported as acknowledged, once each"
            )
            let deadLetters = try await Kcat.consume(
                bootstrap: broker.bootstrapServers,
                topic: "user-erasure-dlq",
                count: 2
            )
            #expect(Set(deadLetters) == [requests[4], requests[5]])
        }
    }

    /// Checks the guarantee while it could break: the outcome topic's broker answers slowly, so outcomes stay
    /// unacknowledged for seconds after their vendor work is done, and the group's commits are sampled meanwhile.
    /// Braze takes one of a request's two identifier kinds and refuses the other for good: one call succeeded, and
    /// still the request fails, since "completed" means every identifier was taken.
    @Test func aRequestPartlyAcceptedByAVendorEndsFailed() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                await testbed.sandbox.inject(.status(400), into: .braze)
                try await Kcat.produce(
                    bootstrap: testbed.bootstrapServers,
                    topic: "user-erasure",
                    lines: [
                        requestJSON(
                            id: "partly",
                            subject: ["external_id": "u-partly", "email": "partly@example.com"],
                            vendors: ["braze"]
                        )
                    ]
                )
                _ = try await collector.wait(for: 1)
            }
            let record = await testbed.sandbox.record(of: .braze)
            #expect(record.calls == 2, "one call per identifier kind")
            #expect(record.deleted.values.joined().count == 1, "the vendor took one of the two")
            let outcome = try #require(collector.all.first)
            #expect(outcome.status == .failed)
            #expect(outcome.vendors.map(\.status) == [.failed])
            #expect(outcome.vendors.first?.identifiers == 2)
        }
    }

    @Test func offsetsAreCommittedOnlyOnceOutcomesArePublished() async throws {
        let count = 30
        let collector = OutcomeCollector()
        let requests = (0..<count).map {
            requestJSON(id: "r-\($0)", subject: ["external_id": "u-\($0)"], vendors: ["braze"])
        }
        try await withRelayTestbed(partitions: 1, brokers: 2, logger: logger) { testbed in
            let broker = testbed.broker
            var configuration = testbed.configuration
            // Broker 1 serves the requests and the group; broker 2 leads the outcome topic.
            for topic in configuration.kafka.topics {
                let leader: Int32 = topic == configuration.kafka.outcomeTopic ? 2 : 1
                try broker.setPartitionLeader(topic: topic, partition: 0, brokerID: leader)
            }
            broker.setGroupCoordinator(configuration.kafka.groupID, brokerID: 1)
            // One request per call, ten a second: outcomes are acknowledged one after another over seconds.
            configuration.vendors[.braze]!.batching.maxSize = 1
            configuration.vendors[.braze]!.rateLimit = .init(requests: 10, windowSeconds: 1)
            let reader = try KafkaConsumer(
                configuration: .init(bootstrapServers: broker.bootstrapServers, properties: fastGroupProperties),
                groupID: configuration.kafka.groupID,
                logger: logger
            )
            let partition = TopicPartition(topic: configuration.kafka.requestTopic, partition: 0)
            var samplesWhileUnacknowledged = 0
            var partialCommits: Set<Int64> = []
            try await withRelay(
                configuration: configuration,
                bootstrapServers: broker.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await Kcat.produce(bootstrap: broker.bootstrapServers, topic: "user-erasure", lines: [requests[0]])
                _ = try await collector.wait(for: 1)
                // Once the producer is connected, broker 2 answers each request 1.5 s late.
                broker.setRoundTripTime(brokerID: 2, milliseconds: 1500)
                try await Kcat.produce(
                    bootstrap: broker.bootstrapServers,
                    topic: "user-erasure",
                    lines: Array(requests.dropFirst())
                )
                while collector.all.count < count {
                    // The commit first, then what is acknowledged: acknowledgements only grow, so a committed offset
                    // above the first unacknowledged request is a commit that ran ahead of its outcome.
                    let committed = try await reader.committedOffsets(for: [partition])[partition] ?? -1
                    let acknowledged = Set(collector.all.map(\.source.offset))
                    let firstUnacknowledged = (0..<Int64(count)).first { !acknowledged.contains($0) } ?? Int64(count)
                    #expect(
                        committed <= firstUnacknowledged,
                        "offset \(committed) committed while request \(firstUnacknowledged) had no acknowledged outcome"
                    )
                    if firstUnacknowledged < count { samplesWhileUnacknowledged += 1 }
                    if committed > 0 && committed < count { partialCommits.insert(committed) }
                    // The pace of sampling, not a wait for anything.
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(samplesWhileUnacknowledged >= 10, "the commits were never sampled while outcomes were outstanding")
            #expect(!partialCommits.isEmpty, "the commit never moved while outcomes were outstanding")
            // After a clean shutdown the group's committed offset is past every request.
            #expect(try await reader.committedOffsets(for: [partition])[partition] == Int64(count))
            await reader.close()
        }
        #expect(Set(collector.all.compactMap(\.requestID)) == Set((0..<count).map { "r-\($0)" }))
    }
}

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

@Suite("The service as its own process", .serialized, .timeLimit(.minutes(3)))
struct ServiceProcessTests {
    let logger = Logger(label: "process")

    @Test func checkConfigNamesTheKeyAtFaultAndPrintsTheEffectiveConfigurationWithSecretsMasked() async throws {
        let configPath = FileManager.default.temporaryDirectory.appendingPathComponent("erasure-relay-\(UUID()).yaml")
            .path
        defer { try? FileManager.default.removeItem(atPath: configPath) }

        try """
        vendors:
          braze: { api_key: braze-secret-value, batch: { max_size: 80 } }
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let rejected = try ChildProcess(erasureRelayExecutable(), ["check-config", "--config", configPath])
        #expect(try await rejected.waitForExit() != 0)
        #expect(
            rejected.standardError.contains(
                "configuration key 'vendors.braze.batch.max_size': must be between 1 and 50, not 80"
            )
        )
        // A configuration mistake is not a usage mistake: usage text would bury the one line that matters.
        #expect(!rejected.standardError.contains("Usage:"))
        #expect(!rejected.standardError.contains("braze-secret-value"))

        try """
        kafka: { bootstrap_servers: "broker-1:9092" }
        vendors:
          braze: { api_key: braze-secret-value, batch: { max_size: 40 } }
        parking: { signing_key: signing-key-value-0123456789abcdef }
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let accepted = try ChildProcess(erasureRelayExecutable(), ["check-config", "--config", configPath])
        #expect(try await accepted.waitForExit() == 0)
        #expect(accepted.standardOutput.contains("batch: { max_size: 40"))
        #expect(!accepted.standardOutput.contains("braze-secret-value"))
        #expect(!accepted.standardOutput.contains("signing-key-value"))
    }

    @Test func consumesARequestSentWithKcatAndPublishesItsOutcome() async throws {
        let executable = erasureRelayExecutable()
        let broker = try ChildProcess(executable, ["dev-broker", "--partitions", "2"])
        let bootstrap = try await broker.firstLine()
        #expect(bootstrap.hasPrefix("127.0.0.1:"))
        try await withSandbox(logger: logger) { sandbox async throws in
            let urls = await sandbox.baseURLs()
            let configPath = FileManager.default.temporaryDirectory.appendingPathComponent(
                "erasure-relay-\(UUID()).yaml"
            ).path
            try """
            kafka:
              bootstrap_servers: "${TEST_BOOTSTRAP}"
              group_id: process-test
              properties: { session.timeout.ms: "6000", heartbeat.interval.ms: "500" }
            vendors:
              braze: { base_url: "\(urls[.braze]!)", api_key: "${BRAZE_KEY_FROM_ENV}" }
              engagelab: { base_url: "\(urls[.engagelab]!)", app_key: sandbox-app-key,
                           master_secret: sandbox-master-secret }
            http: { host: 127.0.0.1, port: 0 }
            parking: { signing_key: "\(testSigningKeys[0].value)" }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: configPath) }
            var environment = ProcessInfo.processInfo.environment
            environment["TEST_BOOTSTRAP"] = bootstrap
            environment["BRAZE_KEY_FROM_ENV"] = "sandbox-braze-key"
            let relay = try ChildProcess(executable, ["run", "--config", configPath], environment: environment)
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure",
                lines: [
                    requestJSON(
                        id: "from-kcat",
                        subject: ["external_id": "u-77", "engagelab_registration_ids": ["reg-77"]]
                    )
                ]
            )
            let outcomes = try await Kcat.consume(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                count: 1,
                timeout: .seconds(90)
            )
            let outcome = try #require(try JSONSerialization.jsonObject(with: Data(outcomes[0].utf8)) as? [String: Any])
            #expect(outcome["request_id"] as? String == "from-kcat")
            #expect(outcome["status"] as? String == "completed")
            #expect(
                (outcome["vendors"] as? [[String: Any]])?.compactMap { $0["vendor"] as? String } == [
                    "braze", "engagelab",
                ]
            )
            #expect(await sandbox.record(of: .braze).deleted["external_ids"] == ["u-77"])
            #expect(await sandbox.record(of: .engagelab).deleted["registration_id"] == ["reg-77"])
            try await relay.waitForOutput(containing: "Outcome published")

            // A message that is not JSON is rejected and dead-lettered; `erasure-relay replay` sends it back through
            // the retry topic, where the running service reads it again and rejects it again, from the same source.
            try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", lines: ["not json"])
            _ = try await Kcat.consume(bootstrap: bootstrap, topic: "user-erasure-dlq", count: 1)
            let dryRun = try ChildProcess(
                executable,
                ["replay", "--config", configPath, "--dry-run"],
                environment: environment
            )
            #expect(try await dryRun.waitForExit(timeout: .seconds(60)) == 0, "\(dryRun.standardError)")
            #expect(dryRun.standardOutput.hasPrefix("-\tinvalid_json\tuser-erasure-dlq["), "\(dryRun.standardOutput)")
            #expect(dryRun.standardError.contains("Would replay 1 record(s)"), "\(dryRun.standardError)")
            let replay = try ChildProcess(
                executable,
                ["replay", "--config", configPath, "--code", "invalid_json"],
                environment: environment
            )
            #expect(try await replay.waitForExit(timeout: .seconds(60)) == 0, "\(replay.standardError)")
            #expect(
                replay.standardError.contains("Replayed 1 record(s) to user-erasure-retry"),
                "\(replay.standardError)"
            )
            let all = try await Kcat.consume(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                count: 3,
                timeout: .seconds(60)
            )
            let rejected = try all.dropFirst().map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }
            #expect(rejected.map { $0["status"] as? String } == ["rejected", "rejected"])
            #expect((rejected[0]["source"] as? NSDictionary) == (rejected[1]["source"] as? NSDictionary))
            #expect((rejected[1]["source"] as? [String: Any])?["topic"] as? String == "user-erasure")

            relay.signal(SIGTERM)
            #expect(try await relay.waitForExit(timeout: .seconds(40)) == 0, "\(relay.standardError)")
            #expect(!relay.standardOutput.contains("u-77"))
            #expect(!relay.standardOutput.contains("sandbox-braze-key"))
        }
        broker.signal(SIGTERM)
        #expect(try await broker.waitForExit(timeout: .seconds(20)) == 0)
    }
}

import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

/// The service as its own process against `erasure-relay dev-broker`, killed and stopped while it works.
@Suite("Nothing lost across crashes and shutdowns", .serialized, .timeLimit(.minutes(5)))
struct CrashAndShutdownTests {
    let logger = TestLogs.logger(label: "crash")
    static let maxInFlight = 500

    /// How many outcomes the topic holds now, duplicates included.
    private func outcomesPublished(bootstrap: String) async throws -> Int64 {
        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap),
            groupID: "outcome-counter-\(UUID())",
            logger: logger
        )
        let partitions = (0..<4).map { TopicPartition(topic: "user-erasure-outcomes", partition: Int32($0)) }
        let ends = try await consumer.endOffsets(for: partitions)
        await consumer.close()
        return ends.values.reduce(0, +)
    }

    /// A dev-broker process, a sandbox in this process, and a configuration file pointing a relay at both.
    private func withStack(
        partitions: Int = 4,
        _ body: (_ bootstrap: String, _ configPath: String, _ sandbox: VendorSandbox) async throws -> Void
    ) async throws {
        let broker = try ChildProcess(erasureRelayExecutable(), ["dev-broker", "--partitions", "\(partitions)"])
        let bootstrap = try await broker.firstLine()
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.quotas[.engagelab] = .init(requests: 1_000_000, windowSeconds: 1)
        try await withSandbox(sandboxConfiguration, logger: logger) { sandbox async throws in
            let urls = await sandbox.baseURLs()
            let configPath = FileManager.default.temporaryDirectory
                .appendingPathComponent("erasure-relay-crash-\(UUID()).yaml").path
            // EngageLab at 300 calls a second keeps a few thousand requests in flight for several seconds.
            try """
            kafka:
              bootstrap_servers: "\(bootstrap)"
              group_id: crash-test
              properties: { session.timeout.ms: "6000", heartbeat.interval.ms: "500", auto.commit.interval.ms: "200" }
            vendors:
              braze: { base_url: "\(urls[.braze]!)", api_key: sandbox-braze-key }
              engagelab: { base_url: "\(urls[.engagelab]!)", app_key: sandbox-app-key,
                           master_secret: sandbox-master-secret, rate_limit: { requests: 300, window_seconds: 1 } }
            http: { host: 127.0.0.1, port: 0 }
            parking: { signing_key: "\(testSigningKeys[0].value)" }
            pipeline: { drain_timeout_seconds: 20, max_in_flight: \(Self.maxInFlight) }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: configPath) }
            try await body(bootstrap, configPath, sandbox)
        }
        broker.signal(SIGTERM)
        _ = try await broker.waitForExit(timeout: .seconds(20))
    }

    private func requests(_ count: Int) -> [(key: String, value: String)] {
        (0..<count).map { index in
            (
                "k\(index)",
                requestJSON(
                    id: "req-\(index)",
                    subject: [
                        "external_id": "user-\(index)", "engagelab_registration_ids": ["reg-\(index)"],
                    ]
                )
            )
        }
    }

    /// Every outcome on the topic, by request id (duplicates included), once every request has one.
    private func outcomes(bootstrap: String, atLeast count: Int) async throws -> [String: [Outcome]] {
        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap, properties: fastGroupProperties),
            groupID: "outcome-reader-\(UUID())",
            logger: logger
        )
        try consumer.subscribe(topics: ["user-erasure-outcomes"])
        let partitions = (0..<4).map { TopicPartition(topic: "user-erasure-outcomes", partition: Int32($0)) }
        var byID: [String: [Outcome]] = [:]
        var next: [TopicPartition: Int64] = [:]
        var ends = try await consumer.endOffsets(for: partitions)
        // A relay that loses requests would leave this waiting for ever: the test's time limit cancels it, and the
        // deadline ends it on a machine whose tests do not.
        let deadline = ContinuousClock.now + .seconds(240)
        while true {
            if Task.isCancelled || ContinuousClock.now > deadline {
                await consumer.close()
                throw ChildProcessError("\(byID.count) of \(count) requests have an outcome; the rest never came")
            }
            if partitions.allSatisfy({ (next[$0] ?? 0) >= (ends[$0] ?? 0) }) {
                if byID.count >= count { break }
                // More outcomes are still being published: read on to the new end (the poll below waits for them).
                ends = try await consumer.endOffsets(for: partitions)
            }
            for case .message(let message) in await consumer.poll(timeout: .milliseconds(100), maxEvents: 500) {
                let outcome = try JSONDecoder().decode(Outcome.self, from: Data(message.value))
                byID[outcome.requestID ?? "", default: []].append(outcome)
                next[message.topicPartition] = message.offset + 1
            }
        }
        await consumer.close()
        return byID
    }

    @Test func killedRepeatedlyItStillGivesEveryRequestAnOutcome() async throws {
        let count = 3000
        try await withStack { bootstrap, configPath, sandbox in
            try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", keyed: requests(count))
            var generator = SystemRandomNumberGenerator()
            let kills = 3
            for kill in 1...kills {
                let relay = try ChildProcess(erasureRelayExecutable(), ["run", "--config", configPath])
                // Kill only once it is working, at a random moment within the next two seconds.
                try await relay.waitForOutput(containing: "Outcome published", timeout: .seconds(60))
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...2000, using: &generator)))
                relay.signal(SIGKILL)
                _ = try await relay.waitForExit(timeout: .seconds(10))
                // Fewer outcomes than requests, duplicates included: some request was unfinished when it died.
                let published = try await outcomesPublished(bootstrap: bootstrap)
                #expect(published < count, "kill \(kill) came once every request had an outcome: it proved nothing")
            }
            let survivor = try ChildProcess(erasureRelayExecutable(), ["run", "--config", configPath])
            let byID = try await outcomes(bootstrap: bootstrap, atLeast: count)
            survivor.signal(SIGTERM)
            #expect(try await survivor.waitForExit(timeout: .seconds(40)) == 0)

            #expect(Set(byID.keys) == Set((0..<count).map { "req-\($0)" }), "a request has no outcome")
            #expect(byID.values.allSatisfy { $0.allSatisfy { $0.status == .completed } })
            let deleted = await sandbox.record(of: .engagelab).deleted["registration_id"] ?? []
            #expect(Set(deleted) == Set((0..<count).map { "reg-\($0)" }), "an identifier never reached EngageLab")
            let brazeDeleted = await sandbox.record(of: .braze).deleted["external_ids"] ?? []
            #expect(Set(brazeDeleted) == Set((0..<count).map { "user-\($0)" }), "an identifier never reached Braze")
            let duplicateOutcomes = byID.values.reduce(0) { $0 + $1.count } - count
            let duplicateCalls = deleted.count - count
            print(
                "crash test: \(kills) kills, \(duplicateOutcomes) duplicate outcomes, \(duplicateCalls) repeated EngageLab calls"
            )
            // A kill repeats at most what was in flight: everything earlier was committed, and nothing is read
            // beyond the in-flight limit.
            #expect(duplicateOutcomes <= kills * Self.maxInFlight)
            #expect(duplicateCalls <= kills * Self.maxInFlight)
        }
    }

    @Test func sigtermUnderLoadDrainsAndNeverCommitsAheadOfAnOutcome() async throws {
        let count = 2000
        try await withStack { bootstrap, configPath, _ in
            try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", keyed: requests(count))
            let relay = try ChildProcess(erasureRelayExecutable(), ["run", "--config", configPath])
            try await relay.waitForOutput(containing: "Outcome published", timeout: .seconds(60))
            relay.signal(SIGTERM)
            #expect(try await relay.waitForExit(timeout: .seconds(40)) == 0, "\(relay.standardError)")
            #expect(relay.standardOutput.contains("Draining in-flight requests"))

            // Every offset the group committed is covered by published outcomes.
            let reader = try KafkaConsumer(
                configuration: .init(bootstrapServers: bootstrap, properties: fastGroupProperties),
                groupID: "crash-test",
                logger: logger
            )
            let partitions = (0..<4).map { TopicPartition(topic: "user-erasure", partition: Int32($0)) }
            let committed = try await reader.committedOffsets(for: partitions)
            await reader.close()
            let published = try await outcomes(bootstrap: bootstrap, atLeast: 0)
            var covered: [Int32: Set<Int64>] = [:]
            for outcome in published.values.flatMap({ $0 }) {
                covered[outcome.source.partition, default: []].insert(outcome.source.offset)
            }
            var committedTotal: Int64 = 0
            for partition in partitions {
                let offset = max(0, committed[partition] ?? 0)
                committedTotal += offset
                let missing = (0..<offset).filter { !(covered[partition.partition]?.contains($0) ?? false) }
                #expect(
                    missing.isEmpty,
                    "\(partition) committed to \(offset) with \(missing.count) requests unpublished"
                )
            }
            #expect(committedTotal > 0, "nothing was committed before shutdown")
            #expect(committedTotal < Int64(count), "shutdown came after the backlog was done; the test proved nothing")
        }
    }
}

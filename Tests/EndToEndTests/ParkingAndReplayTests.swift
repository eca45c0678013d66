import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("Parking, dead letters and replay end to end", .serialized, .timeLimit(.minutes(3)))
struct ParkingAndReplayTests {
    let logger = TestLogs.logger(label: "parking")

    /// Runs the relay on `testbed` for the length of `body`, with Braze and MoEngage bulk delete as its vendors, and
    /// MoEngage down until the test says otherwise. Each lane gives up after two calls.
    func withOutage(
        on testbed: RelayTestbed,
        maxParks: Int,
        delaySeconds: Int,
        drainTimeoutSeconds: Int? = nil,
        logger: Logger,
        collector: OutcomeCollector,
        _ body: (_ configuration: RelayConfiguration) async throws -> Void
    ) async throws {
        var configuration = testbed.configuration
        configuration.vendors = configuration.vendors.filter { [.braze, .moengage].contains($0.key) }
        for vendor in configuration.vendors.keys {
            configuration.vendors[vendor]!.retry.maxAttempts = 2
            configuration.vendors[vendor]!.retry.initialBackoffMilliseconds = 20
            configuration.vendors[vendor]!.retry.maxBackoffMilliseconds = 50
            configuration.vendors[vendor]!.timeoutSeconds = 2
        }
        configuration.parking.maxParks = maxParks
        configuration.parking.initialDelaySeconds = delaySeconds
        configuration.parking.maxDelaySeconds = delaySeconds
        configuration.pipeline.drainTimeoutSeconds = drainTimeoutSeconds ?? configuration.pipeline.drainTimeoutSeconds
        await testbed.sandbox.inject(.status(500), count: 1_000_000, into: .moengage)
        try await withRelay(
            configuration: configuration,
            bootstrapServers: testbed.bootstrapServers,
            logger: logger,
            collector: collector
        ) {
            try await body(configuration)
        }
    }

    func requests(_ count: Int) -> [(key: String, value: String)] {
        (0..<count).map { (key: "k\($0)", value: requestJSON(id: "r-\($0)", subject: ["external_id": "u-\($0)"])) }
    }

    @Test func anOutageParksTheRequestLetsItsOffsetMoveOnAndCompletesItOnceTheVendorIsBack() async throws {
        let count = 6
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 2, logger: self.logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let sandbox = testbed.sandbox
            try await withOutage(
                on: testbed,
                maxParks: 1000,
                delaySeconds: 1,
                logger: logger,
                collector: collector
            ) { configuration in
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", keyed: requests(count))
                let parked = try await TopicReader.read(
                    bootstrap: bootstrap,
                    topic: "user-erasure-retry",
                    count: count,
                    logger: logger
                )
                for record in parked {
                    let progress = try #require(try RequestProgress(headers: record.headers))
                    #expect(progress.pendingVendors == [.moengage])
                    #expect(progress.source.topic == "user-erasure")
                    #expect(progress.results.first { $0.vendor == .braze }?.status == .accepted)
                    #expect(
                        requests(count).map { Array($0.value.utf8) }.contains(record.value),
                        "the parked record carries the request unchanged"
                    )
                }
                // While MoEngage is down, no outcome is published, yet every request's offset is committed.
                try await expectCommitted(upTo: count, broker: bootstrap, group: configuration.kafka.groupID)
                #expect(collector.all.isEmpty)
                await sandbox.clearFaults(of: .moengage)
                _ = try await collector.wait(for: count)
                let braze = await sandbox.record(of: .braze).deleted["external_ids"] ?? []
                #expect(braze.sorted() == (0..<count).map { "u-\($0)" }.sorted(), "braze is called once per request")
                let moengage = await sandbox.record(of: .moengage).deleted.values.flatMap { $0 }
                #expect(Set(moengage) == Set((0..<count).map { "u-\($0)" }))
            }
            // One user per MoEngage call: the attempts the outcomes report, added up over every pass, are the calls
            // the vendor got, the failed ones included.
            let moengageCalls = await testbed.sandbox.record(of: .moengage).calls
            let reportedAttempts = collector.all.compactMap { $0.vendors.first { $0.vendor == .moengage }?.attempts }
            #expect(reportedAttempts.reduce(0, +) == moengageCalls)
            #expect(moengageCalls > count, "the outage failed no call")
            let outcomes = collector.all
            #expect(Set(outcomes.compactMap(\.requestID)) == Set((0..<count).map { "r-\($0)" }))
            for outcome in outcomes {
                #expect(outcome.status == .completed)
                #expect(outcome.source.topic == "user-erasure")
                let moengage = try #require(outcome.vendors.first { $0.vendor == .moengage })
                #expect(moengage.status == .accepted)
                #expect(outcome.vendors.first { $0.vendor == .braze }?.attempts == 1)
            }
        }
    }

    @Test func aRequestStillFailingAfterItsParksIsDeadLetteredAndReplayedOnceTheVendorIsBack() async throws {
        let count = 3
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 2, logger: self.logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let sandbox = testbed.sandbox
            try await withOutage(
                on: testbed,
                maxParks: 1,
                delaySeconds: 1,
                logger: logger,
                collector: collector
            ) { configuration in
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", keyed: requests(count))
                let failed = try await collector.wait(for: count)
                for outcome in failed {
                    #expect(outcome.status == .failed)
                    let moengage = try #require(outcome.vendors.first { $0.vendor == .moengage })
                    #expect(moengage.status == .failed)
                    // At most two calls on the first pass and two after the one park; fewer once the lane knows
                    // MoEngage is down.
                    #expect(moengage.attempts <= 4)
                    #expect(
                        moengage.error?.hasPrefix("retries exhausted") == true
                            || moengage.error?.hasPrefix("vendor unavailable") == true,
                        "\(moengage.error ?? "")"
                    )
                }
                let deadLetters = try await TopicReader.read(
                    bootstrap: bootstrap,
                    topic: "user-erasure-dlq",
                    count: count,
                    logger: logger
                )
                for record in deadLetters {
                    #expect(record.header(DeadLetterHeader.errorCode) == "retries_exhausted")
                    #expect(record.header(RequestProgress.Header.pendingVendors) == "moengage")
                }
                await sandbox.clearFaults(of: .moengage)
                let replayed = Recorded<String>()
                let summary = try await DeadLetterReplay(selection: .init(), signer: testSigner).run(
                    kafka: configuration.kafka.clients(bootstrapServers: bootstrap),
                    topics: configuration.kafka,
                    dryRun: false,
                    logger: logger
                ) { replayed.append($0.requestID ?? "-") }
                #expect(summary == .init(replayed: count, skipped: 0, unreadable: 0))
                #expect(Set(replayed.values) == Set((0..<count).map { "r-\($0)" }))
                _ = try await collector.wait(for: count * 2)
                let braze = await sandbox.record(of: .braze).deleted["external_ids"] ?? []
                #expect(braze.count == count, "a replay calls only the vendors that failed")
            }
            let outcomes = Dictionary(grouping: collector.all) { $0.requestID ?? "" }
            #expect(outcomes.count == count)
            for (requestID, pair) in outcomes {
                #expect(pair.map(\.status) == [.failed, .completed], "\(requestID)")
                #expect(pair[1].source == pair[0].source, "the replayed outcome points at the original request")
                #expect(pair[1].receivedAt == pair[0].receivedAt)
                #expect(pair[1].vendors.map(\.status) == [.accepted, .accepted])
            }
        }
    }

    @Test func aRequestWhoseDeadlinePassesWhileParkedFails() async throws {
        let capture = LogCapture()
        let logger = capture.logger(label: "parking", level: .info)
        let collector = OutcomeCollector()
        let sent = Recorded<(request: String, deadline: Timestamp)>()
        // A park would wait an hour: the next attempt is brought forward to the deadline instead.
        try await withRelayTestbed(partitions: 1, logger: self.logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            try await withOutage(
                on: testbed,
                maxParks: 1000,
                delaySeconds: 3600,
                logger: logger,
                collector: collector
            ) { _ in
                // The deadline is set once the relay is in the group, so that it falls after the first attempt.
                try await capture.wait(forLineContaining: "Partitions assigned")
                let deadline = Timestamp.now().adding(seconds: 3)
                let request =
                    #"{"request_id":"r-late","regulation":"ccpa","submitted_at":"2026-11-22T10:00:00Z","#
                    + #""deadline":"\#(deadline.rfc3339)","subject":{"external_id":"u-late"}}"#
                sent.append((request, deadline))
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", lines: [request])
                _ = try await collector.wait(for: 1)
            }
            let (request, deadline) = try #require(sent.values.first)
            let outcome = try #require(collector.all.first)
            #expect(outcome.status == .failed)
            #expect(outcome.completedAt >= deadline)
            // Two calls before the park, two more at the deadline.
            #expect(outcome.vendors.first { $0.vendor == .moengage }?.attempts == 4)
            let deadLetter = try #require(
                try await TopicReader.read(
                    bootstrap: bootstrap,
                    topic: "user-erasure-dlq",
                    count: 1,
                    logger: logger
                ).first
            )
            #expect(deadLetter.header(DeadLetterHeader.errorCode) == "deadline_passed")
            #expect(deadLetter.value == Array(request.utf8))
        }
    }

    @Test func shutdownLeavesAParkedRecordThatIsNotDueUncommittedAndDoesNotWaitForIt() async throws {
        let capture = LogCapture()
        let logger = capture.logger(label: "parking", level: .debug)
        try await withRelayTestbed(partitions: 1, logger: self.logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            try await withOutage(
                on: testbed,
                maxParks: 1000,
                delaySeconds: 3600,
                drainTimeoutSeconds: 20,
                logger: logger,
                collector: OutcomeCollector()
            ) { _ in
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", keyed: requests(1))
                try await capture.wait(forLineContaining: "Parked request read before its time")
            }
            #expect(
                !capture.all.contains { $0.contains("Drain timeout reached") },
                "shutdown waited for a parked record"
            )
            let reader = try KafkaConsumer(
                configuration: .init(bootstrapServers: bootstrap),
                groupID: RelayConfiguration.Kafka().groupID,
                logger: logger
            )
            let request = TopicPartition(topic: "user-erasure", partition: 0)
            let parked = TopicPartition(topic: "user-erasure-retry", partition: 0)
            let committed = try await reader.committedOffsets(for: [request, parked])
            await reader.close()
            #expect(committed[request] == 1, "the request itself is done once parked")
            #expect((committed[parked] ?? -1) <= 0, "the parked record is read again after a restart")
        }
    }

    /// Waits until the group has committed `count` requests over the request topic's partitions.
    private func expectCommitted(upTo count: Int, broker: String, group: String) async throws {
        let reader = try KafkaConsumer(
            configuration: .init(bootstrapServers: broker, properties: fastGroupProperties),
            groupID: group,
            logger: logger
        )
        let partitions = (0..<2).map { TopicPartition(topic: "user-erasure", partition: Int32($0)) }
        let deadline = ContinuousClock.now + .seconds(30)
        var committed: Int64 = 0
        while ContinuousClock.now < deadline {
            committed = try await reader.committedOffsets(for: partitions).values.reduce(0) { $0 + max(0, $1) }
            if committed >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        await reader.close()
        #expect(committed == Int64(count))
    }
}

import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Testing
import VendorSandbox

/// What the outcome producer cannot recover from, or can never send, must neither wedge the relay while it looks
/// healthy nor commit past an outcome the broker did not acknowledge.
@Suite("Producer faults", .serialized, .timeLimit(.minutes(3)))
struct ProducerFaultTests {
    let logger = TestLogs.logger(label: "producer-faults")

    @Test func aFatalProducerErrorFailsLivenessAndStopsTheRelayWithoutCommittingAheadOfAnOutcome() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
            let health = RelayHealth()
            let relay = RelayApplication(
                configuration: testbed.configuration,
                bootstrapServers: bootstrap,
                producer: producer,
                health: health,
                logger: logger,
                observer: { collector.record($0) }
            )
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure",
                lines: (0..<5).map { requestJSON(id: "before-\($0)", subject: ["external_id": "u-\($0)"]) }
            )
            let group = ServiceGroup(services: [relay], gracefulShutdownSignals: [], logger: logger)
            let ended: Result<Void, any Error> = await withTaskGroup(of: Result<Void, any Error>.self) { tasks in
                tasks.addTask {
                    do {
                        try await group.run()
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
                tasks.addTask {
                    do {
                        _ = try await collector.wait(for: 5)
                        #expect(health.isAlive)
                        producer.raiseFatalErrorForTesting(reason: "injected by the test")
                        try await Kcat.produce(
                            bootstrap: bootstrap,
                            topic: "user-erasure",
                            lines: (0..<5).map { requestJSON(id: "after-\($0)", subject: ["external_id": "v-\($0)"]) }
                        )
                        // Bounded: a relay that retried forever would never end this test's wait.
                        try await Task.sleep(for: .seconds(60))
                        return .failure(ChildProcessError("the relay did not stop after a fatal producer error"))
                    } catch {
                        return .failure(error)
                    }
                }
                let first = await tasks.next()!
                tasks.cancelAll()
                return first
            }
            guard case .failure(let error) = ended else {
                Issue.record("the relay ended without an error")
                return
            }
            #expect((error as? KafkaError)?.isFatal == true, "\(error)")
            #expect(!health.isAlive, "liveness fails so that the orchestrator restarts the pod")
            #expect(collector.all.allSatisfy { $0.requestID?.hasPrefix("before-") == true })
            // Nothing after the fatal error was acknowledged, so nothing after the first five may be committed.
            let reader = try KafkaConsumer(
                configuration: .init(bootstrapServers: bootstrap),
                groupID: testbed.configuration.kafka.groupID,
                logger: logger
            )
            let committed = try await reader.committedOffsets(for: [TopicPartition(topic: "user-erasure", partition: 0)]
            )
            await reader.close()
            #expect((committed.values.first ?? 0) <= 5, "committed \(committed)")
        }
    }

    @Test func aDeadLetterCopyTooLargeForTheProducerIsWrittenWithoutItsValueAndTheLineMoves() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            var configuration = testbed.configuration
            // The relay's producer takes at most 100,000 bytes; the message is rejected as too large to read, and
            // its copy is too large to send.
            configuration.kafka.properties["message.max.bytes"] = "100000"
            let huge = #"{"request_id":"huge","padding":""# + String(repeating: "x", count: 150_000) + #""}"#
            try await produceRecords(
                bootstrap: testbed.bootstrapServers,
                topic: "user-erasure",
                [
                    (
                        key: Array("huge".utf8), value: Array(huge.utf8),
                        headers: [KafkaHeader(name: "origin", value: "dsr-portal")]
                    ),
                    (
                        key: nil, value: Array(requestJSON(id: "after", subject: ["external_id": "u-after"]).utf8),
                        headers: []
                    ),
                ],
                properties: ["message.max.bytes": "1000000"],
                logger: logger
            )
            try await withRelay(
                configuration: configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                _ = try await collector.wait(for: 2)
            }
            let outcomes = collector.all.sorted { $0.source.offset < $1.source.offset }
            #expect(outcomes.map(\.status) == [.rejected, .completed])
            #expect(outcomes.first?.error?.code == "message_too_large")
            let copy = try #require(
                try await TopicReader.read(
                    bootstrap: testbed.bootstrapServers,
                    topic: "user-erasure-dlq",
                    count: 1,
                    logger: logger
                ).first
            )
            #expect(copy.value.isEmpty)
            #expect(copy.header(DeadLetterHeader.valueOmitted)?.contains("150") == true)
            #expect(copy.header(DeadLetterHeader.errorCode) == "message_too_large")
            #expect(copy.header("origin") == "dsr-portal")
        }
    }
}

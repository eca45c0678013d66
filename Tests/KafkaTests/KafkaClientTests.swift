import ErasureRelayTestSupport
import Foundation
import Logging
import Testing

@testable import Kafka

@Suite("Kafka clients on the embedded broker", .serialized, .timeLimit(.minutes(2)))
struct KafkaClientTests {
    let logger = TestLogs.quietLogger(label: "kafka-test")
    static let fastGroup = [
        "session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "auto.commit.interval.ms": "200",
    ]

    /// Polls until `done` says the events seen so far are enough.
    private func poll(
        _ consumer: KafkaConsumer,
        until done: ([KafkaConsumerEvent]) -> Bool
    ) async -> [KafkaConsumerEvent] {
        var events: [KafkaConsumerEvent] = []
        while !done(events) && !Task.isCancelled {
            events += await consumer.poll(timeout: .milliseconds(100))
        }
        return events
    }

    private static func messages(_ events: [KafkaConsumerEvent]) -> [KafkaMessage] {
        events.compactMap { if case .message(let message) = $0 { message } else { nil } }
    }

    /// The mock cluster cannot describe a topic's configuration (it has no DescribeConfigs): asking ends in an
    /// error, not a hang or a crash, so that the relay can say the retention is unknown; and a task that stops
    /// waiting is let go at once, whatever the cluster does.
    @Test func describingATopicTheMockClusterCannotDescribeEndsInAnErrorAndCancelsAtOnce() async throws {
        let broker = try EmbeddedBroker(logger: logger)
        defer { broker.shutdown() }
        try broker.createTopic("t", partitions: 1)
        let configuration = KafkaClientConfiguration(bootstrapServers: broker.bootstrapServers)
        await #expect(throws: KafkaError.self) {
            _ = try await TopicConfiguration.describe(
                "t",
                configuration: configuration,
                timeout: .seconds(2),
                logger: logger
            )
        }
        // With ten minutes to answer, only the cancellation can end the wait within the suite's time limit.
        await #expect(throws: CancellationError.self) {
            try await withThrowingTaskGroup(of: [String: String].self) { group in
                group.addTask {
                    try await TopicConfiguration.describe(
                        "t",
                        configuration: configuration,
                        timeout: .seconds(600),
                        logger: logger
                    )
                }
                group.cancelAll()
                _ = try await group.next()
            }
        }
    }

    /// Each record carries its timestamp: what a report over the last days filters on.
    @Test func recordsCarryTheirTime() async throws {
        let broker = try EmbeddedBroker(logger: logger)
        defer { broker.shutdown() }
        try broker.createTopic("t", partitions: 1)
        let configuration = KafkaClientConfiguration(bootstrapServers: broker.bootstrapServers)
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        func millisecondsNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
        var between: Int64 = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            defer { group.cancelAll() }
            for index in 0..<2 { try await producer.send(topic: "t", key: nil, value: Array("early-\(index)".utf8)) }
            // The records' time is in milliseconds: let the clock move past the first two.
            between = millisecondsNow() + 1
            while millisecondsNow() <= between { await Task.yield() }
            for index in 0..<2 { try await producer.send(topic: "t", key: nil, value: Array("late-\(index)".utf8)) }
        }
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "g", logger: logger)
        let partition = TopicPartition(topic: "t", partition: 0)
        // librdkafka 2.0.2's mock cluster cannot look offsets up by time and answers -1 (the end) for any time, as a
        // real broker does only for a time after the last record; readers by time therefore also check each
        // record's own timestamp.
        #expect(try await consumer.offsets(atOrAfter: millisecondsNow() + 60_000, of: [partition])[partition] == -1)
        try consumer.assign([partition: 0])
        let messages = Self.messages(await poll(consumer) { Self.messages($0).count == 4 })
        #expect(
            messages.allSatisfy { ($0.timestamp ?? 0) > between - 60_000 && ($0.timestamp ?? .max) < between + 60_000 }
        )
        #expect(messages[1].timestamp! < between && messages[2].timestamp! >= between)
        await consumer.close()
    }

    @Test func producesAndConsumesWithHeadersAndCommitsOnlyWhatIsStored() async throws {
        let broker = try EmbeddedBroker(logger: logger)
        defer { broker.shutdown() }
        try broker.createTopic("t", partitions: 1)
        let configuration = KafkaClientConfiguration(
            bootstrapServers: broker.bootstrapServers,
            properties: Self.fastGroup
        )
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            defer { group.cancelAll() }
            for index in 0..<5 {
                let report = try await producer.send(
                    topic: "t",
                    key: Array("k\(index)".utf8),
                    value: Array("v\(index)".utf8),
                    headers: [KafkaHeader(name: "h", value: "\(index)")]
                )
                #expect(report.offset == Int64(index))
            }
        }
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "g", logger: logger)
        try consumer.subscribe(topics: ["t"])
        let events = await poll(consumer) { Self.messages($0).count == 5 }
        #expect(
            events.contains {
                if case .assigned(let partitions) = $0 {
                    partitions == [TopicPartition(topic: "t", partition: 0)]
                } else {
                    false
                }
            }
        )
        let messages = Self.messages(events)
        #expect(messages.map { String(decoding: $0.value, as: UTF8.self) } == ["v0", "v1", "v2", "v3", "v4"])
        #expect(messages[2].key == Array("k2".utf8))
        #expect(messages[3].headers == [KafkaHeader(name: "h", value: "3")])
        let partition = TopicPartition(topic: "t", partition: 0)
        try consumer.storeOffsets([partition: 3])
        try await consumer.commitStoredOffsets()
        #expect(try await consumer.committedOffsets(for: [partition])[partition] == 3)
        await consumer.close()

        // A new member of the group starts from the committed offset, not after the last message read.
        let second = try KafkaConsumer(configuration: configuration, groupID: "g", logger: logger)
        try second.subscribe(topics: ["t"])
        let resumed = Self.messages(await poll(second) { Self.messages($0).count == 2 })
        #expect(resumed.map(\.offset) == [3, 4])
        await second.close()
    }

    @Test func partitionsAssignedWhilePausedStartPausedAndLoseNothing() async throws {
        let broker = try EmbeddedBroker(logger: logger)
        defer { broker.shutdown() }
        try broker.createTopic("p", partitions: 2)
        let configuration = KafkaClientConfiguration(
            bootstrapServers: broker.bootstrapServers,
            properties: Self.fastGroup
        )
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "g", logger: logger)
        try consumer.subscribe(topics: ["p"])
        // Paused before the assignment arrives: the new partitions must start paused too.
        try consumer.pauseAll()
        _ = await poll(consumer) { events in events.contains { if case .assigned = $0 { true } else { false } } }
        #expect(consumer.assignment.count == 2)
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            defer { group.cancelAll() }
            for index in 0..<10 {
                try await producer.send(topic: "p", key: Array("\(index)".utf8), value: Array("\(index)".utf8))
            }
        }
        // While paused, a bounded stretch of polling (the producer has acknowledged all ten) sees at most the one
        // message per partition that passes a pause librdkafka lost (`aPauseLibrdkafkaLostIsAppliedAgain...`).
        var pausedEvents: [KafkaConsumerEvent] = []
        for _ in 0..<20 { pausedEvents += await consumer.poll(timeout: .milliseconds(100), maxEvents: 100) }
        let whilePaused = Self.messages(pausedEvents)
        #expect(whilePaused.count <= 2)
        #expect(Set(whilePaused.map(\.topicPartition)).count == whilePaused.count)
        #expect(consumer.isPaused)
        try consumer.resumeAll()
        let resumed = Self.messages(await poll(consumer) { Self.messages($0).count == 10 - whilePaused.count })
        let all = (whilePaused + resumed).map { String(decoding: $0.value, as: UTF8.self) }
        #expect(all.sorted() == (0..<10).map(String.init).sorted())
        await consumer.close()
    }

    /// librdkafka 2.0.2 can drop a pause op that a newer op of its own overtakes; resuming the partition in librdkafka
    /// behind the consumer's back leaves it in that state.
    @Test func aPauseLibrdkafkaLostIsAppliedAgainAtTheFirstMessageThroughAndSkipsNothing() async throws {
        let broker = try EmbeddedBroker(logger: logger)
        defer { broker.shutdown() }
        try broker.createTopic("lost", partitions: 1)
        let partition = TopicPartition(topic: "lost", partition: 0)
        let configuration = KafkaClientConfiguration(
            bootstrapServers: broker.bootstrapServers,
            properties: Self.fastGroup
        )
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "g", logger: logger)
        try consumer.subscribe(topics: ["lost"])
        _ = await poll(consumer) { _ in consumer.assignment.count == 1 }
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            defer { group.cancelAll() }
            for index in 0..<10 {
                try await producer.send(topic: "lost", key: nil, value: Array("\(index)".utf8))
            }
        }
        try consumer.pauseAll()
        try consumer.client.setPaused(false, [partition])

        // One message gets through, even when a poll may take a hundred...
        var events: [KafkaConsumerEvent] = []
        while Self.messages(events).isEmpty && !Task.isCancelled {
            events = await consumer.poll(timeout: .milliseconds(100), maxEvents: 100)
        }
        #expect(Self.messages(events).map(\.offset) == [0])
        // ...and then nothing, though nine more were fetched or could be.
        var afterward: [KafkaConsumerEvent] = []
        for _ in 0..<20 { afterward += await consumer.poll(timeout: .milliseconds(100), maxEvents: 100) }
        #expect(Self.messages(afterward).isEmpty, "a lost pause was not applied again")
        // On resume the rest follows the message that got through: none skipped, none other twice. librdkafka
        // resumes from its own position, which on a loaded machine may not yet be past the message that got through,
        // so that one may come again: at-least-once, as a redelivery after a restart is.
        try consumer.resumeAll()
        let resumed = Self.messages(await poll(consumer) { Self.messages($0).contains { $0.offset == 9 } })
        let offsets = resumed.map(\.offset)
        #expect(offsets == Array(1..<10) || offsets == Array(0..<10), "\(offsets)")
        await consumer.close()
    }

    @Test func aHeldPartitionStaysPausedThroughResumeAllUntilReleasedAndRereadsWhatItDropped() async throws {
        let broker = try EmbeddedBroker(logger: logger)
        defer { broker.shutdown() }
        try broker.createTopic("held", partitions: 1)
        try broker.createTopic("other", partitions: 1)
        let configuration = KafkaClientConfiguration(
            bootstrapServers: broker.bootstrapServers,
            properties: Self.fastGroup
        )
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let held = TopicPartition(topic: "held", partition: 0)
        let other = TopicPartition(topic: "other", partition: 0)
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "g", logger: logger)
        try consumer.subscribe(topics: ["held", "other"])
        _ = await poll(consumer) { _ in consumer.assignment.count == 2 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            defer { group.cancelAll() }
            for index in 0..<4 {
                try await producer.send(topic: "held", key: nil, value: Array("held-\(index)".utf8))
            }
            // The first message of the held partition is read; the three behind it were fetched but not polled.
            let first = Self.messages(await poll(consumer) { !Self.messages($0).isEmpty })
            #expect(first.map(\.offset) == [0])
            try consumer.hold(held)
            // The pipeline-wide pause and resume leave the hold in place.
            try consumer.pauseAll()
            try consumer.resumeAll()
            for index in 0..<3 {
                try await producer.send(topic: "other", key: nil, value: Array("other-\(index)".utf8))
            }
            let whileHeld = Self.messages(
                await poll(consumer) {
                    Self.messages($0).filter { $0.topicPartition == other }.count == 3
                }
            )
            #expect(!whileHeld.contains { $0.topicPartition == held }, "a held partition delivered a message")
            try consumer.release(held)
            let afterRelease = Self.messages(await poll(consumer) { Self.messages($0).count == 3 })
            #expect(afterRelease.map(\.topicPartition) == [held, held, held])
            #expect(afterRelease.map(\.offset) == [1, 2, 3])
        }
        await consumer.close()
    }

    @Test func aRejectedPropertyIsNamed() {
        #expect {
            try KafkaProducer(
                configuration: .init(bootstrapServers: "127.0.0.1:1", properties: ["no.such.property": "1"]),
                logger: logger
            )
        } throws: { error in
            guard let error = error as? KafkaError else { return false }
            return error.code == .configuration && error.message.contains("no.such.property")
        }
    }

    @Test func anUndeliverableMessageFailsWithARetriableError() async throws {
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: "127.0.0.1:1", properties: ["message.timeout.ms": "300"]),
            logger: logger
        )
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            defer { group.cancelAll() }
            await #expect {
                try await producer.send(topic: "t", key: nil, value: [1])
            } throws: { error in
                guard let error = error as? KafkaError else { return false }
                return error.code == .delivery && error.isRetriable && error.librdkafkaName == "_MSG_TIMED_OUT"
            }
        }
    }
}

import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing

@Suite("Producer cancellation", .timeLimit(.minutes(1)))
struct ProducerCancellationTests {
    @Test func aCancelledSendStopsWaitingAtOnce() async throws {
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: "127.0.0.1:1", properties: ["message.timeout.ms": "300000"]),
            logger: TestLogs.quietLogger(label: "cancel")
        )
        let outcome: Result<DeliveryReport, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            defer { group.cancelAll() }
            return await withTaskGroup(of: Result<DeliveryReport, any Error>.self) { sends in
                sends.addTask {
                    do { return .success(try await producer.send(topic: "t", key: nil, value: [1])) } catch {
                        return .failure(error)
                    }
                }
                // The broker is unreachable and the message timeout is five minutes: only cancellation ends this.
                sends.cancelAll()
                return await sends.next()!
            }
        }
        guard case .failure(let error) = outcome else {
            Issue.record("a send to an unreachable broker succeeded")
            return
        }
        #expect((error as? KafkaError)?.code == .cancelled)
    }
}

/// A send that finds librdkafka's local queue full waits for room off the cooperative threads: with more such sends
/// than the pool has threads, the rest of the program still runs.
@Suite("Producer with a full queue", .timeLimit(.minutes(1)))
struct ProducerFullQueueTests {
    @Test func sendsWaitingForRoomLeaveTheCooperativeThreadsFree() async throws {
        let logger = TestLogs.quietLogger(label: "full-queue")
        let broker = try EmbeddedBroker(logger: logger)
        defer { broker.shutdown() }
        try broker.createTopic("t", partitions: 1)
        // One message fits in the local queue, and none leaves while the broker is down.
        let producer = try KafkaProducer(
            configuration: .init(
                bootstrapServers: broker.bootstrapServers,
                properties: ["queue.buffering.max.messages": "1", "message.timeout.ms": "60000"]
            ),
            logger: logger
        )
        broker.setBrokerDown(1)
        let waiting = ProcessInfo.processInfo.activeProcessorCount + 2
        let reports = try await withThrowingTaskGroup(of: DeliveryReport?.self) { group in
            group.addTask {
                await producer.run()
                return nil
            }
            for index in 0..<waiting {
                group.addTask { try await producer.send(topic: "t", key: nil, value: [UInt8(index)]) }
            }
            // Were the sends looping on the cooperative threads, this task would never run again: the pool has one
            // thread per core, and more sends than that wait for room.
            for _ in 0..<100 { await Task.yield() }
            broker.setBrokerUp(1)
            var reports: [DeliveryReport] = []
            while reports.count < waiting, let report = try await group.next() {
                if let report { reports.append(report) }
            }
            group.cancelAll()
            return reports
        }
        #expect(reports.count == waiting)
    }
}

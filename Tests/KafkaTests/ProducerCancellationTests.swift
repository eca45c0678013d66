import ErasureRelayTestSupport
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

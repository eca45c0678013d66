import Kafka
import ServiceLifecycle

/// The producer of outcomes, dead letters and parked work as a service: it serves delivery reports until graceful
/// shutdown, then flushes what is still queued. Its group shuts it down after the relay service has drained, so
/// that every record the consumer waited for is delivered first.
struct ProducerService: Service {
    let producer: KafkaProducer

    func run() async {
        await cancelWhenGracefulShutdown { [producer] in await producer.run() }
    }
}

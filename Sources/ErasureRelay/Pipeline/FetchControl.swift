import Kafka
import Logging

/// Carries out the intake's decisions about what the consumer fetches: pause and resume for backpressure, hold and
/// release for parked work read before its time. Used on the consumer loop's task only, so the pause state has one
/// writer.
struct FetchControl: Sendable {
    let consumer: KafkaConsumer
    let metrics: RelayMetrics
    let logger: Logger

    func apply(_ action: Intake.FetchAction) {
        do {
            switch action {
            case .pauseAll:
                try consumer.pauseAll()
                metrics.partitionsPaused(consumer.assignment.count)
                logger.debug("In-flight limit reached; partitions paused")
            case .resumeAll:
                try consumer.resumeAll()
                metrics.partitionsPaused(0)
            case .hold(let partition):
                try consumer.hold(partition)
                logger.debug(
                    "Parked request read before its time; holding its partition",
                    metadata: [LoggingKeys.partition: "\(partition)"]
                )
            case .release(let partition):
                try consumer.release(partition)
            }
        } catch {
            logger.warning("Changing what the consumer fetches failed", metadata: [LoggingKeys.error: "\(error)"])
        }
    }
}

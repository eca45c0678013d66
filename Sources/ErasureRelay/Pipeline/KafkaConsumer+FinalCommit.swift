import Kafka
import Logging

extension KafkaConsumer {
    /// Commits the stored offsets while still a settled member of the group: the commit librdkafka makes while
    /// leaving can fail with "rebalance in progress", which would replay finished requests after a restart. A
    /// moving coordinator or a rebalance fails a commit for a moment, so a retriable failure is tried again.
    func commitStoredOffsetsBeforeLeaving(logger: Logger) async {
        for attempt in 1...5 {
            do {
                try await commitStoredOffsets()
                return
            } catch {
                guard error.isRetriable, attempt < 5 else {
                    logger.warning(
                        "Final offset commit failed; the group's next member may repeat finished requests",
                        metadata: [LoggingKeys.error: "\(error)"]
                    )
                    return
                }
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }
}

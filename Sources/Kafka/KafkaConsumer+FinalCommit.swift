import Logging

extension KafkaConsumer {
    /// How long the final commit keeps trying. A coordinator that has just moved is found again within seconds, but
    /// on a loaded machine or cluster that takes longer than a few quick attempts: giving up then costs the group's
    /// next member every request finished since the last commit, called again at its vendors. The deployment's
    /// grace period leaves room for it after the drain timeout (`deploy/check` holds it to that).
    public static let finalCommitBudget = Duration.seconds(10)

    /// Commits the stored offsets while still a settled member of the group: the commit librdkafka makes while
    /// leaving can fail with "rebalance in progress", which would replay finished requests after a restart. A
    /// moving coordinator or a rebalance fails a commit for a moment, so a retriable failure is tried again, with a
    /// growing pause, until ``finalCommitBudget`` has passed.
    /// - Parameter logger: where a failed attempt is logged.
    public func commitStoredOffsetsBeforeLeaving(logger: Logger) async {
        let deadline = ContinuousClock.now.advanced(by: Self.finalCommitBudget)
        var pause = Duration.milliseconds(100)
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await commitStoredOffsets()
                if attempt > 1 {
                    logger.info("Final offset commit succeeded", metadata: ["attempts": "\(attempt)"])
                }
                return
            } catch {
                guard error.isRetriable, ContinuousClock.now.advanced(by: pause) < deadline else {
                    logger.warning(
                        "Final offset commit failed; the group's next member may repeat finished requests",
                        metadata: ["error": "\(error)", "attempts": "\(attempt)"]
                    )
                    return
                }
                logger.info(
                    "Final offset commit failed for now; trying again",
                    metadata: ["error": "\(error)", "attempts": "\(attempt)"]
                )
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }
}

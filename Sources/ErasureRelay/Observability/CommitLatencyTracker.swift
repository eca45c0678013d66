import Kafka
import Synchronization

/// Measures commit latency: from the first offset stored after a partition's last confirmed commit, to the broker
/// confirming a commit that covers it.
public final class CommitLatencyTracker: Sendable {
    private let pending = Mutex<[TopicPartition: (offset: Int64, storedAt: ContinuousClock.Instant)]>([:])
    private let metrics: RelayMetrics

    public init(metrics: RelayMetrics) {
        self.metrics = metrics
    }

    /// An offset was stored for the next commit.
    public func stored(_ partition: TopicPartition, offset: Int64) {
        pending.withLock { pending in
            if let existing = pending[partition] {
                pending[partition] = (offset, existing.storedAt)
            } else {
                pending[partition] = (offset, .now)
            }
        }
    }

    /// librdkafka reported a commit.
    public func committed(succeeded: Bool, offsets: [TopicPartition: Int64]) {
        metrics.commit(succeeded: succeeded)
        let now = ContinuousClock.now
        let latencies = pending.withLock { pending -> [Duration] in
            var latencies: [Duration] = []
            for (partition, committed) in offsets {
                guard let entry = pending[partition], committed >= entry.offset else { continue }
                latencies.append(now - entry.storedAt)
                pending[partition] = nil
            }
            return latencies
        }
        for latency in latencies { metrics.commitLatency(latency) }
    }
}

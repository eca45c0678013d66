import Kafka
import Synchronization

/// The partitions whose lag gauges a replica may set, and those it has set. Statistics arrive on librdkafka's
/// polling thread and rebalances on the consumer loop; one lock orders them, so a revoked partition's gauge is never
/// set again by statistics taken before the revoke.
final class LagGauges: Sendable {
    private struct State {
        var assigned: Set<TopicPartition> = []
        /// The gauge label of each partition with a gauge.
        var reported: [TopicPartition: String] = [:]
    }

    private let state = Mutex(State())

    func assign(_ partitions: some Sequence<TopicPartition>) {
        state.withLock { $0.assigned.formUnion(partitions) }
    }

    /// Forgets `partitions` and returns those that had a gauge, with its label.
    func revoke(_ partitions: some Sequence<TopicPartition>) -> [TopicPartition: String] {
        state.withLock { state in
            var reported: [TopicPartition: String] = [:]
            for partition in partitions {
                state.assigned.remove(partition)
                reported[partition] = state.reported.removeValue(forKey: partition)
            }
            return reported
        }
    }

    func recordIfAssigned(_ partition: TopicPartition, label: String, record: () -> Void) {
        state.withLock { state in
            guard state.assigned.contains(partition) else { return }
            state.reported[partition] = label
            record()
        }
    }
}

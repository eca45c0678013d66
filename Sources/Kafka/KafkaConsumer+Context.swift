import Logging
import Synchronization

extension KafkaConsumer {
    /// The consumer's assignment and pause state, and the events its callbacks raise. librdkafka's callbacks run
    /// on the polling thread; the consumer's calls run on any thread.
    final class Context: ClientContext, @unchecked Sendable {
        struct State {
            var assignment: Set<TopicPartition> = []
            var paused = false
            var held: Set<TopicPartition> = []
            var events: [KafkaConsumerEvent] = []

            func isPaused(_ partition: TopicPartition) -> Bool { paused || held.contains(partition) }
        }

        private let state = Mutex(State())
        /// Held while a change of what to fetch is decided and carried out in librdkafka, so that librdkafka's pause
        /// state ends as the last decision left it, whichever threads decide. librdkafka's pause calls wait only for
        /// its own threads, never for the polling thread, so holding it across them cannot deadlock a callback.
        private let fetchChanges = Mutex(())
        let hooks: Hooks

        init(logger: Logger, hooks: Hooks) {
            self.hooks = hooks
            super.init(logger: logger)
        }

        var isPaused: Bool { state.withLock { $0.paused } }
        func isPaused(_ partition: TopicPartition) -> Bool { state.withLock { $0.isPaused(partition) } }
        var currentAssignment: Set<TopicPartition> { state.withLock { $0.assignment } }

        func changingFetch(_ change: () throws(KafkaError) -> Void) throws(KafkaError) {
            try fetchChanges.withLock { _ throws(KafkaError) in try change() }
        }

        /// Returns the assigned partitions whose fetching this changes.
        func setPaused(_ paused: Bool) -> Set<TopicPartition> {
            state.withLock { state in
                state.paused = paused
                return state.assignment.subtracting(state.held)
            }
        }

        /// Returns whether librdkafka must be told: the partition is assigned and its fetching changes.
        func setHeld(_ partition: TopicPartition, _ held: Bool) -> Bool {
            state.withLock { state in
                guard state.assignment.contains(partition) else { return false }
                let wasPaused = state.isPaused(partition)
                if held { state.held.insert(partition) } else { state.held.remove(partition) }
                return state.isPaused(partition) != wasPaused
            }
        }

        func takeEvents() -> [KafkaConsumerEvent] {
            state.withLock { state in
                defer { state.events.removeAll() }
                return state.events
            }
        }

        override func report(_ error: KafkaError) {
            state.withLock { $0.events.append(.error(error)) }
        }

        override func statistics(_ json: String) {
            hooks.statistics?(json)
        }

        override func offsetsCommitted(succeeded: Bool, offsets: [TopicPartition: Int64]) {
            hooks.offsetsCommitted?(succeeded, offsets)
        }

        override func rebalance(_ rebalance: RDKafkaRebalance) {
            let changed = rebalance.partitions
            switch rebalance.kind {
            case .assign:
                let failure = rebalance.apply()
                // Pause state outlives a revoke and re-assignment of the same partition, and librdkafka cannot be
                // asked for it, so every new assignment is set explicitly to what the pipeline wants now. Holds
                // ended with the revoke, so only the pipeline-wide pause applies.
                fetchChanges.withLock { _ in
                    let paused = state.withLock { state in
                        state.assignment.formUnion(changed)
                        state.events.append(.assigned(changed))
                        if let failure { state.events.append(.error(failure)) }
                        return state.paused
                    }
                    rebalance.setPaused(paused)
                }
                logger.debug("Kafka partitions assigned", metadata: ["kafka.partitions": "\(changed.sorted())"])
            case .revoke(let lost):
                hooks.beforeRevoke?(changed, state.withLock { $0.assignment }.subtracting(changed))
                // Offsets are stored as requests finish, so everything done is already stored here, before the
                // unassign that commits it.
                let failure = rebalance.apply()
                state.withLock { state in
                    state.assignment.subtract(changed)
                    state.held.subtract(changed)
                    state.events.append(.revoked(changed, lost: lost))
                    if let failure { state.events.append(.error(failure)) }
                }
                logger.debug(
                    "Kafka partitions revoked",
                    metadata: ["kafka.partitions": "\(changed.sorted())", "kafka.lost": "\(lost)"]
                )
            case .failed(let failure):
                _ = rebalance.apply()
                state.withLock { $0.events.append(.error(failure)) }
            }
        }
    }
}

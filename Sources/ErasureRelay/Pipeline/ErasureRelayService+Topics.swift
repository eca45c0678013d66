extension ErasureRelayService {
    /// The topics the service reads and writes.
    public struct Topics: Sendable {
        /// Erasure requests, `kafka.request_topic`.
        public var requests: String
        /// One outcome per request, `kafka.outcome_topic`.
        public var outcomes: String
        /// Rejected messages and failed requests, `kafka.dead_letter_topic`.
        public var deadLetters: String
        /// Parked work; consumed as well as `requests`.
        public var retries: String

        public init(requests: String, outcomes: String, deadLetters: String, retries: String) {
            self.requests = requests
            self.outcomes = outcomes
            self.deadLetters = deadLetters
            self.retries = retries
        }

        public init(_ kafka: RelayConfiguration.Kafka) {
            self.init(
                requests: kafka.requestTopic,
                outcomes: kafka.outcomeTopic,
                deadLetters: kafka.deadLetterTopic,
                retries: kafka.retryTopic
            )
        }
    }
}

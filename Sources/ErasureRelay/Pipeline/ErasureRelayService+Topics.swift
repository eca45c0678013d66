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
        /// Deletion jobs waiting for their next status check; consumed as well when a vendor follows jobs.
        public var jobs: String

        public init(requests: String, outcomes: String, deadLetters: String, retries: String, jobs: String) {
            self.requests = requests
            self.outcomes = outcomes
            self.deadLetters = deadLetters
            self.retries = retries
            self.jobs = jobs
        }

        public init(_ kafka: RelayConfiguration.Kafka) {
            self.init(
                requests: kafka.requestTopic,
                outcomes: kafka.outcomeTopic,
                deadLetters: kafka.deadLetterTopic,
                retries: kafka.retryTopic,
                jobs: kafka.jobsTopic
            )
        }
    }
}

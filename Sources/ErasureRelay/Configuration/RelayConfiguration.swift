/// Everything erasure-relay can be configured with. Each default below is also the documented one.
public struct RelayConfiguration: Sendable {
    /// Where requests come from and outcomes go.
    public struct Kafka: Sendable {
        /// `kafka.bootstrap_servers`. Nil starts an embedded broker in-process.
        public var bootstrapServers: String?
        /// `kafka.group_id`. Default `erasure-relay`.
        public var groupID: String = "erasure-relay"
        /// `kafka.request_topic`. Default `user-erasure`.
        public var requestTopic: String = "user-erasure"
        /// `kafka.outcome_topic`. Default `user-erasure-outcomes`.
        public var outcomeTopic: String = "user-erasure-outcomes"
        /// `kafka.dead_letter_topic`. Default `user-erasure-dlq`.
        public var deadLetterTopic: String = "user-erasure-dlq"
        /// `kafka.retry_topic`: where a request's unfinished vendor work waits for its next attempt. The service
        /// consumes it as well as the request topic. Default `user-erasure-retry`.
        public var retryTopic: String = "user-erasure-retry"
        /// `kafka.jobs_topic`: where the deletion jobs of vendors that erase as jobs wait for their next status
        /// check. Consumed as well as the request topic when a configured vendor declares `job`. Default
        /// `user-erasure-jobs`.
        public var jobsTopic: String = "user-erasure-jobs"
        /// `kafka.properties`: librdkafka properties passed through unchanged, for both consumer and producer. It
        /// also holds the properties of `kafka.property_files`, each read from the file named, such as a mounted
        /// secret for `sasl.password`.
        public var properties: [String: String] = [:]
        /// `kafka.consumer_properties`: librdkafka properties for the consumer alone, over `kafka.properties`, such
        /// as `fetch.wait.max.ms`, which the producer would warn about.
        public var consumerProperties: [String: String] = [:]

        /// Every topic the service reads or writes.
        public var topics: [String] { [requestTopic, outcomeTopic, deadLetterTopic, retryTopic, jobsTopic] }

        public init() {}
    }

    /// The HTTP endpoint for health and metrics.
    public struct HTTP: Sendable {
        /// `http.host`. Default `0.0.0.0`.
        public var host: String = "0.0.0.0"
        /// `http.port`. Default 9090; 0 picks a free port.
        public var port: Int = 9090

        public init() {}
    }

    /// Bounds on the work held in memory.
    public struct Pipeline: Sendable {
        /// `pipeline.max_in_flight`: requests read but not yet done. At this many, the consumer pauses its
        /// partitions. Default 1000.
        public var maxInFlight: Int = 1000
        /// `pipeline.resume_below`: the consumer resumes when fewer requests than this are in flight; 1 to
        /// `max_in_flight`. Default 750, or three quarters of a smaller `max_in_flight`, and at least 1.
        public var resumeBelow: Int = 750
        /// `pipeline.pause_after_ms`: how long a full pipeline waits for room before pausing its partitions.
        /// Default 1000.
        public var pauseAfterMilliseconds: Int = 1000
        /// `pipeline.max_held`: parked messages read before their time and held in memory until it comes, apart from
        /// `max_in_flight`, so that parked work never takes the room of new requests. At this many, the retry
        /// partitions stop fetching. Default 1000.
        public var maxHeld: Int = 1000
        /// `pipeline.max_message_bytes`: larger messages are rejected unread. Default 65536.
        public var maxMessageBytes: Int = 65_536
        /// `pipeline.drain_timeout_seconds`: on shutdown, how long in-flight work may take to finish. Default 25.
        public var drainTimeoutSeconds: Int = 25

        public init() {}
    }

    /// What happens to a request whose vendor stays down past its lane's retry budget.
    ///
    /// The vendors still owed an erasure are parked on the retry topic and tried again after a delay that doubles
    /// with every park, while the request's offset moves on. The request fails, with a dead-letter record for
    /// `erasure-relay replay`, once it has been parked `max_parks` times or its deadline has passed.
    public struct Parking: Sendable, Hashable {
        /// `parking.max_parks`: how often one request may be parked; 0 fails it at once. Default 24.
        public var maxParks: Int = 24
        /// `parking.initial_delay_seconds`: the wait before the first parked attempt. Default 60.
        public var initialDelaySeconds: Int = 60
        /// `parking.max_delay_seconds`: the longest wait between parked attempts. Default 3600.
        public var maxDelaySeconds: Int = 3600
        /// `parking.signing_key` (one key or a list) or `parking.signing_key_file` (one key per line): the keys of
        /// the HMAC-SHA256 signature on parked work and failed requests' dead letters. The first signs; every key
        /// verifies, so that a key can be rotated by putting the new one first. Each is at least 32 characters.
        /// Required unless the service runs embedded.
        public var signingKeys: [Secret] = []

        public init() {}
    }

    /// How long the outcome topic, the compliance record, must keep what it holds.
    ///
    /// At start the service reads the topic's `retention.ms`, `retention.bytes` and `cleanup.policy` from the
    /// cluster. A topic that may drop an outcome younger than `min_retention_days`, or that compacts (a request's
    /// later outcome would replace its earlier ones), is logged as an error and shown by the
    /// `erasure_relay_outcome_retention_sufficient` metric.
    public struct Outcomes: Sendable, Hashable {
        /// `outcomes.min_retention_days`: the age up to which every outcome must stay on the topic. Default 730, the
        /// 24 months CCPA's regulations ask request records to be kept.
        public var minRetentionDays: Int = 730
        /// `outcomes.require_retention`: refuse to start (exit code 1) when the topic keeps less, is compacted, or
        /// its configuration cannot be read. Default false: the error and the metric only.
        public var requireRetention = false

        public init() {}
    }

    /// The shortest signing key accepted: 32 characters, as `openssl rand -hex 16` gives.
    public static let minimumSigningKeyLength = 32

    public var kafka = Kafka()
    /// Only the vendors listed are enabled.
    public var vendors: [VendorID: VendorSettings] = [:]
    public var http = HTTP()
    public var pipeline = Pipeline()
    public var parking = Parking()
    public var outcomes = Outcomes()

    public init() {}
}

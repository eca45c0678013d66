import Logging
import Synchronization

/// A Kafka cluster inside this process: librdkafka's mock cluster, listening on loopback ports that any Kafka client
/// can reach.
///
/// - Important: each partition keeps only about 5 MB; older messages fall off the start of the log. It is meant for
///   development, demos and tests, not for production data.
public final class EmbeddedBroker: Sendable {
    /// The `bootstrap.servers` list of the cluster's brokers.
    public let bootstrapServers: String

    /// Client properties for consumers of this cluster. The mock cluster answers a fetch that finds no data only
    /// when `fetch.wait.max.ms` (500 ms by default) has passed, not when data arrives as a real broker does, so every
    /// message read from an idle partition would wait up to that long. A real cluster needs no such setting: a short
    /// wait there only multiplies an idle group's fetch requests.
    public static let consumerProperties = ["fetch.wait.max.ms": "10"]

    private let owner: RDKafkaClient
    private let cluster: RDKafkaMockCluster
    private let destroyed = Mutex(false)

    /// Starts a cluster of `brokerCount` brokers.
    public init(brokerCount: Int = 1, logger: Logger) throws(KafkaError) {
        // The mock cluster lives inside a client instance; a producer with no brokers of its own is the lightest.
        // The owner never connects anywhere; its warning about having no bootstrap servers is noise.
        let owner = try RDKafkaClient(
            kind: .producer,
            properties: ["log.connection.close": "false", "log_level": "3"],
            context: ClientContext(logger: logger)
        )
        guard let cluster = owner.startMockCluster(brokerCount: brokerCount) else {
            owner.destroy()
            throw KafkaError(code: .client, message: "could not start the embedded broker")
        }
        self.owner = owner
        self.cluster = cluster
        self.bootstrapServers = cluster.bootstrapServers
    }

    deinit {
        shutdown()
    }

    /// Creates `topic` with `partitions` partitions, unless it exists.
    public func createTopic(_ topic: String, partitions: Int) throws(KafkaError) {
        try cluster.createTopic(topic, partitions: partitions)
    }

    /// Makes the next `count` requests of Kafka API `apiKey` fail with `error` (a broker error code).
    public func failNextRequests(apiKey: Int16, error: Int32, count: Int) {
        cluster.failNextRequests(apiKey: apiKey, error: error, count: count)
    }

    /// Moves the group coordinator of `groupID` to broker `brokerID`.
    public func setGroupCoordinator(_ groupID: String, brokerID: Int32) {
        cluster.setGroupCoordinator(groupID, brokerID: brokerID)
    }

    /// Makes broker `brokerID` the leader of `partition` of `topic`. The cluster picks leaders at random when it
    /// creates a topic; a test that takes a broker down sets them, so that the broker surely leads something.
    public func setPartitionLeader(topic: String, partition: Int32, brokerID: Int32) throws(KafkaError) {
        try cluster.setPartitionLeader(topic: topic, partition: partition, brokerID: brokerID)
    }

    /// Takes broker `brokerID` down: its connections drop and new ones are refused, until ``setBrokerUp(_:)``.
    /// Its partitions get no new leader meanwhile, as when a single-replica broker fails.
    public func setBrokerDown(_ brokerID: Int32) {
        cluster.setBrokerDown(brokerID)
    }

    /// Brings broker `brokerID` back.
    public func setBrokerUp(_ brokerID: Int32) {
        cluster.setBrokerUp(brokerID)
    }

    /// Delays every answer of broker `brokerID` by `milliseconds`, as a slow or distant broker would; 0 ends it.
    public func setRoundTripTime(brokerID: Int32, milliseconds: Int) {
        cluster.setRoundTripTime(brokerID: brokerID, milliseconds: milliseconds)
    }

    /// Stops the cluster. Calling it again does nothing.
    public func shutdown() {
        let alreadyDestroyed = destroyed.withLock { destroyed in
            defer { destroyed = true }
            return destroyed
        }
        guard !alreadyDestroyed else { return }
        cluster.destroy()
        owner.destroy()
    }
}

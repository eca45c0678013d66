import CRDKafka
import Logging
import Synchronization

/// A Kafka cluster inside this process: librdkafka's mock cluster, listening on loopback ports that any Kafka client
/// can reach.
///
/// - Important: each partition keeps only about 5 MB; older messages fall off the start of the log. It is meant for
///   development, demos and tests, not for production data.
public final class EmbeddedBroker: @unchecked Sendable {
    /// The `bootstrap.servers` list of the cluster's brokers.
    public let bootstrapServers: String

    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    private let context: Unmanaged<ClientContext>
    private let destroyed = Mutex(false)

    /// Starts a cluster of `brokerCount` brokers.
    public init(brokerCount: Int = 1, logger: Logger) throws(KafkaError) {
        // The mock cluster lives inside a client instance; a producer with no brokers of its own is the lightest.
        // The owner never connects anywhere; its warning about having no bootstrap servers is noise.
        let conf = try RDKafkaConfig.make(properties: ["log.connection.close": "false", "log_level": "3"])
        installLogAndErrorCallbacks(conf)
        let context = Unmanaged.passRetained(ClientContext(logger: logger))
        rd_kafka_conf_set_opaque(conf, context.toOpaque())
        let owner: OpaquePointer
        do {
            owner = try RDKafkaConfig.newClient(type: RD_KAFKA_PRODUCER, conf: conf)
        } catch {
            context.release()
            throw error
        }
        guard let cluster = rd_kafka_mock_cluster_new(owner, Int32(brokerCount)) else {
            rd_kafka_destroy(owner)
            context.release()
            throw KafkaError(code: .client, message: "could not start the embedded broker")
        }
        self.owner = owner
        self.cluster = cluster
        self.context = context
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        shutdown()
    }

    /// Creates `topic` with `partitions` partitions, unless it exists.
    public func createTopic(_ topic: String, partitions: Int) throws(KafkaError) {
        let result = rd_kafka_mock_topic_create(cluster, topic, Int32(partitions), 1)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
            throw KafkaError(code: .client, responseError: result, context: "create topic \(topic)")
        }
    }

    /// Makes the next `count` requests of Kafka API `apiKey` fail with `error` (a broker error code).
    public func failNextRequests(apiKey: Int16, error: Int32, count: Int) {
        var errors = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(rawValue: error), count: count)
        rd_kafka_mock_push_request_errors_array(cluster, apiKey, errors.count, &errors)
    }

    /// Moves the group coordinator of `groupID` to broker `brokerID`.
    public func setGroupCoordinator(_ groupID: String, brokerID: Int32) {
        rd_kafka_mock_coordinator_set(cluster, "group", groupID, brokerID)
    }

    /// Makes broker `brokerID` the leader of `partition` of `topic`. The cluster picks leaders at random when it
    /// creates a topic; a test that takes a broker down sets them, so that the broker surely leads something.
    public func setPartitionLeader(topic: String, partition: Int32, brokerID: Int32) throws(KafkaError) {
        let result = rd_kafka_mock_partition_set_leader(cluster, topic, partition, brokerID)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: .client, responseError: result, context: "set leader of \(topic)[\(partition)]")
        }
    }

    /// Takes broker `brokerID` down: its connections drop and new ones are refused, until ``setBrokerUp(_:)``.
    /// Its partitions get no new leader meanwhile, as when a single-replica broker fails.
    public func setBrokerDown(_ brokerID: Int32) {
        rd_kafka_mock_broker_set_down(cluster, brokerID)
    }

    /// Brings broker `brokerID` back.
    public func setBrokerUp(_ brokerID: Int32) {
        rd_kafka_mock_broker_set_up(cluster, brokerID)
    }

    /// Stops the cluster. Calling it again does nothing.
    public func shutdown() {
        let alreadyDestroyed = destroyed.withLock { destroyed in
            defer { destroyed = true }
            return destroyed
        }
        guard !alreadyDestroyed else { return }
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
        context.release()
    }
}

import CRDKafka

/// librdkafka's mock cluster. It lives inside a client, which must outlive it.
struct RDKafkaMockCluster: @unchecked Sendable {
    private let cluster: OpaquePointer

    init(cluster: OpaquePointer) {
        self.cluster = cluster
    }

    var bootstrapServers: String { String(cString: rd_kafka_mock_cluster_bootstraps(cluster)) }

    func createTopic(_ topic: String, partitions: Int) throws(KafkaError) {
        let result = rd_kafka_mock_topic_create(cluster, topic, Int32(partitions), 1)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
            throw KafkaError(code: .client, responseError: result, context: "create topic \(topic)")
        }
    }

    func failNextRequests(apiKey: Int16, error: Int32, count: Int) {
        var errors = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(rawValue: error), count: count)
        rd_kafka_mock_push_request_errors_array(cluster, apiKey, errors.count, &errors)
    }

    func setGroupCoordinator(_ groupID: String, brokerID: Int32) {
        rd_kafka_mock_coordinator_set(cluster, "group", groupID, brokerID)
    }

    func setPartitionLeader(topic: String, partition: Int32, brokerID: Int32) throws(KafkaError) {
        let result = rd_kafka_mock_partition_set_leader(cluster, topic, partition, brokerID)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: .client, responseError: result, context: "set leader of \(topic)[\(partition)]")
        }
    }

    func setBrokerDown(_ brokerID: Int32) {
        rd_kafka_mock_broker_set_down(cluster, brokerID)
    }

    func setBrokerUp(_ brokerID: Int32) {
        rd_kafka_mock_broker_set_up(cluster, brokerID)
    }

    func setRoundTripTime(brokerID: Int32, milliseconds: Int) {
        _ = rd_kafka_mock_broker_set_rtt(cluster, brokerID, Int32(milliseconds))
    }

    func destroy() {
        rd_kafka_mock_cluster_destroy(cluster)
    }
}

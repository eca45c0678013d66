import CRDKafka

/// One call of librdkafka's rebalance callback, as values and the calls that answer it. It is valid only while the
/// callback runs.
struct RDKafkaRebalance {
    enum Kind {
        /// Partitions are added to the assignment.
        case assign
        /// Partitions are taken away; `lost` when other members may already own them.
        case revoke(lost: Bool)
        /// The rebalance failed; the assignment is dropped.
        case failed(KafkaError)
    }

    let kind: Kind
    /// The partitions the rebalance changes.
    let partitions: [TopicPartition]

    private let client: OpaquePointer
    private let list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    private let cooperative: Bool

    init(
        client: OpaquePointer,
        error: rd_kafka_resp_err_t,
        partitions list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        self.client = client
        self.list = list
        self.partitions = RDKafkaTopicPartitionList.partitions(of: list)
        self.cooperative = String(cString: rd_kafka_rebalance_protocol(client)) == "COOPERATIVE"
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            kind = .assign
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            kind = .revoke(lost: rd_kafka_assignment_lost(client) != 0)
        default:
            kind = .failed(KafkaError(code: .rebalance, responseError: error, context: "rebalance"))
        }
    }

    /// Applies the change to the client's assignment, incrementally under the cooperative protocol.
    /// - Returns: why librdkafka refused it, if it did.
    func apply() -> KafkaError? {
        switch kind {
        case .assign:
            cooperative
                ? rd_kafka_incremental_assign(client, list).map {
                    KafkaError(code: .rebalance, consuming: $0, context: "incremental assign")
                }
                : Self.failure(rd_kafka_assign(client, list), context: "assign")
        case .revoke:
            cooperative
                ? rd_kafka_incremental_unassign(client, list).map {
                    KafkaError(code: .rebalance, consuming: $0, context: "incremental unassign")
                }
                : Self.failure(rd_kafka_assign(client, nil), context: "unassign")
        case .failed:
            cooperative ? nil : Self.failure(rd_kafka_assign(client, nil), context: "unassign")
        }
    }

    /// Pauses or resumes fetching from the partitions the rebalance changes.
    func setPaused(_ paused: Bool) {
        _ = paused ? rd_kafka_pause_partitions(client, list) : rd_kafka_resume_partitions(client, list)
    }

    private static func failure(_ result: rd_kafka_resp_err_t, context: String) -> KafkaError? {
        result == RD_KAFKA_RESP_ERR_NO_ERROR
            ? nil : KafkaError(code: .rebalance, responseError: result, context: context)
    }
}

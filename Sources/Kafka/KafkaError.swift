import CRDKafka

/// An error reported by librdkafka or by this module's use of it.
///
/// The pipeline reads ``isRetriable`` and ``isFatal`` to decide between retrying, giving up on one message,
/// and stopping the client.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case configuration
            case client
            case delivery
            case rebalance
            case offsetStore
            case shutdown
            case cancelled
        }
        fileprivate let base: Base

        /// A property was rejected by librdkafka.
        public static let configuration = Code(base: .configuration)
        /// A client call failed.
        public static let client = Code(base: .client)
        /// A message could not be delivered.
        public static let delivery = Code(base: .delivery)
        /// An assignment change could not be applied.
        public static let rebalance = Code(base: .rebalance)
        /// An offset could not be stored for the next commit.
        public static let offsetStore = Code(base: .offsetStore)
        /// The client is shutting down.
        public static let shutdown = Code(base: .shutdown)
        /// The waiting task was cancelled.
        public static let cancelled = Code(base: .cancelled)

        public var description: String { String(describing: base) }
    }

    /// The kind of failure.
    public let code: Code
    /// librdkafka's error code, if it reported one (`rd_kafka_resp_err_t`).
    public let librdkafkaCode: Int32?
    /// librdkafka's name for the error code, such as `_MSG_TIMED_OUT`.
    public let librdkafkaName: String?
    /// Human-readable detail.
    public let message: String
    /// True when the same operation may succeed if tried again.
    public let isRetriable: Bool
    /// True when the client is unusable and must be recreated.
    public let isFatal: Bool

    /// True when the record is larger than the producer's `message.max.bytes` or the topic's limit: sending it again
    /// can never succeed.
    public var isRecordTooLarge: Bool {
        librdkafkaCode == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue
            || librdkafkaCode == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE.rawValue
    }

    public var description: String {
        var text = "Kafka \(code) error: \(message)"
        if let librdkafkaName { text += " [\(librdkafkaName)]" }
        if isFatal { text += " (fatal)" } else if isRetriable { text += " (retriable)" }
        return text
    }

    init(
        code: Code,
        message: String,
        librdkafkaCode: Int32? = nil,
        librdkafkaName: String? = nil,
        isRetriable: Bool = false,
        isFatal: Bool = false
    ) {
        self.code = code
        self.message = message
        self.librdkafkaCode = librdkafkaCode
        self.librdkafkaName = librdkafkaName
        self.isRetriable = isRetriable
        self.isFatal = isFatal
    }

    init(code: Code, responseError: rd_kafka_resp_err_t, context: String) {
        let name = String(cString: rd_kafka_err2name(responseError))
        let text = String(cString: rd_kafka_err2str(responseError))
        self.init(
            code: code,
            message: "\(context): \(text)",
            librdkafkaCode: responseError.rawValue,
            librdkafkaName: name,
            isRetriable: KafkaError.retriableCodes.contains(responseError),
            isFatal: responseError == RD_KAFKA_RESP_ERR__FATAL
        )
    }

    /// Takes ownership of `error` and destroys it.
    init(code: Code, consuming error: OpaquePointer, context: String) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: code,
            message: "\(context): \(String(cString: rd_kafka_error_string(error)))",
            librdkafkaCode: rd_kafka_error_code(error).rawValue,
            librdkafkaName: String(cString: rd_kafka_error_name(error)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0
        )
    }

    private static let retriableCodes: Set<rd_kafka_resp_err_t> = [
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
    ]
}

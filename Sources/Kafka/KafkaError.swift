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
    /// librdkafka's error code, if it reported one.
    public let librdkafkaCode: Int32?
    /// librdkafka's name for the error code, such as `_MSG_TIMED_OUT`.
    public let librdkafkaName: String?
    /// Human-readable detail.
    public let message: String
    /// True when the same operation may succeed if tried again.
    public let isRetriable: Bool
    /// True when the client is unusable and must be recreated.
    public let isFatal: Bool

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
}

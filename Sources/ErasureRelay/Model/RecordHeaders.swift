import Kafka

/// The headers of the records erasure-relay writes, in one place: every header it writes starts with
/// `erasure-relay-`; every other header is upstream's and travels with the request unchanged.
public enum RecordHeaders {
    /// The prefix of every header erasure-relay writes.
    public static let prefix = "erasure-relay-"

    /// A message's own headers, without those erasure-relay wrote on an earlier pass.
    /// - Parameter message: a message as read.
    public static func upstream(of message: KafkaMessage) -> [KafkaHeader] {
        message.headers.filter { !$0.name.hasPrefix(prefix) }
    }

    /// The headers of a dead-letter record that say why it was written.
    /// - Parameters:
    ///   - code: a ``RequestRejection/Code`` or a ``ParkingPolicy/Failure``.
    ///   - field: the field at fault, if any.
    ///   - message: what went wrong, with no identifier in it.
    public static func error(code: String, field: String?, message: String) -> [KafkaHeader] {
        [
            KafkaHeader(name: DeadLetterHeader.errorCode, value: code),
            KafkaHeader(name: DeadLetterHeader.errorField, value: field ?? ""),
            KafkaHeader(name: DeadLetterHeader.errorMessage, value: message),
        ]
    }
}

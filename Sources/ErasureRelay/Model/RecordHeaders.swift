import Kafka

/// The headers that say why a dead-letter record was written.
public enum DeadLetterHeader {
    /// A ``RequestRejection/Code`` for a rejected message, a ``ParkingPolicy/Failure`` for a failed request.
    public static let errorCode = "erasure-relay-error-code"
    /// The field at fault in a rejected message; empty otherwise.
    public static let errorField = "erasure-relay-error-field"
    /// What went wrong, in words, with no identifier in it.
    public static let errorMessage = "erasure-relay-error-message"
    /// Present when the record carries no value because the producer or the topic could not take the message: why.
    public static let valueOmitted = "erasure-relay-value-omitted"
}

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

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

/// Metadata keys for erasure-relay's log lines. None of them ever carries an identifier value.
public enum LoggingKeys {
    public static let requestID = "request_id"
    public static let vendor = "vendor"
    public static let status = "status"
    public static let partition = "partition"
    public static let offset = "offset"
    public static let topic = "topic"
    public static let batchSize = "batch_size"
    public static let reason = "reason"
    public static let retryAfterSeconds = "retry_after_seconds"
    public static let error = "error"
    public static let inFlight = "in_flight"
}

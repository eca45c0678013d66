import Foundation

/// What one stand-in saw: calls, quota use, and every identifier it deleted.
public struct SandboxRecord: Sendable, Hashable, Codable {
    /// Calls received, whatever their answer.
    public var calls = 0
    /// Calls answered with success.
    public var acceptedCalls = 0
    /// Calls refused with 429 because the quota was exceeded: quota violations by the caller.
    public var quotaViolations = 0
    /// Calls answered with an injected fault.
    public var injectedFaults = 0
    /// Calls refused as malformed (auth, method, path, content type, body, batch or payload size).
    public var malformedCalls = 0
    /// The most calls that arrived within any one quota window.
    public var peakCallsInWindow = 0
    /// Deleted identifiers by kind (`external_ids`, `customer_id`, `email`, `registration_id`, ...), in order.
    public var deleted: [String: [String]] = [:]
    /// The largest batch accepted, in identifiers (users, for moengage_gdpr).
    public var largestBatch = 0
    /// The largest body accepted, in bytes.
    public var largestBody = 0
    /// Calls that arrived before the wait the stand-in last asked for (`Retry-After`) had passed.
    public var callsBeforeRetryAfter = 0
    /// Well-formed look-ups answered: calls that find a user's ids before the delete.
    public var lookUps = 0
    /// Well-formed status calls about deletion jobs answered.
    public var jobChecks = 0
    /// Tokens issued by the vendor's token endpoint, which is not metered with the API.
    public var tokensIssued = 0
    /// Token requests refused: wrong client credentials, grant, scope or parameters.
    public var tokensRefused = 0

    enum CodingKeys: String, CodingKey {
        case calls
        case acceptedCalls = "accepted_calls"
        case quotaViolations = "quota_violations"
        case injectedFaults = "injected_faults"
        case malformedCalls = "malformed_calls"
        case peakCallsInWindow = "peak_calls_in_window"
        case deleted
        case largestBatch = "largest_batch"
        case largestBody = "largest_body"
        case callsBeforeRetryAfter = "calls_before_retry_after"
        case lookUps = "look_ups"
        case jobChecks = "job_checks"
        case tokensIssued = "tokens_issued"
        case tokensRefused = "tokens_refused"
    }
}

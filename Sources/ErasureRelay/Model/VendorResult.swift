import Foundation

/// What one vendor did with one request.
public struct VendorResult: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// The vendor took the erasure (most vendors then delete asynchronously).
        case accepted
        /// The request holds no identifier this vendor understands.
        case skipped
        /// A permanent error, or retries ran out; `error` says which.
        case failed
    }

    /// `vendor`: the vendor these results are for.
    public var vendor: VendorID
    /// `status`: what the vendor did.
    public var status: Status
    /// HTTP calls made for this request's identifiers, retries included.
    public var attempts: Int
    /// The status code of the last answer, if any answer came.
    public var httpStatus: Int?
    /// How many identifiers were sent to this vendor.
    public var identifiers: Int
    /// The vendor's own reference, such as MoEngage's GDPR `request_id`.
    public var reference: String?
    /// Why the vendor failed, or a note on an accepted erasure (such as an unknown user). Never holds identifiers.
    public var error: String?
    /// Users the vendor reported as queued for deletion, where it reports that (Braze's `deleted`).
    public var deleted: Int?
    /// Whether a failure was a retriable error that outlasted the lane's retry budget, so a later attempt may
    /// succeed. Not part of the outcome.
    public var retriesExhausted = false
    /// The earliest time the vendor allowed another call, when it asked for a wait longer than the lane's retry
    /// budget: parked work is not taken up before it. Not part of the outcome.
    public var notBefore: Timestamp?
    /// For a vendor that follows jobs: accepted calls whose job cannot be followed, since the answer named none or
    /// its id did not fit beside the others. Such a request is never confirmed. Carried with parked work, not part
    /// of the outcome.
    public var untracedJobs: Int?
    /// For a job's status check: the state the vendor gave. Not part of the outcome.
    public var jobState: JobState?

    public init(
        vendor: VendorID,
        status: Status,
        attempts: Int = 0,
        httpStatus: Int? = nil,
        identifiers: Int = 0,
        reference: String? = nil,
        error: String? = nil,
        deleted: Int? = nil,
        retriesExhausted: Bool = false,
        notBefore: Timestamp? = nil,
        untracedJobs: Int? = nil,
        jobState: JobState? = nil
    ) {
        self.untracedJobs = untracedJobs
        self.jobState = jobState
        self.retriesExhausted = retriesExhausted
        self.notBefore = notBefore
        self.vendor = vendor
        self.status = status
        self.attempts = attempts
        self.httpStatus = httpStatus
        self.identifiers = identifiers
        self.reference = reference
        self.error = error
        self.deleted = deleted
    }

    enum CodingKeys: String, CodingKey {
        case vendor, status, attempts
        case httpStatus = "http_status"
        case identifiers, reference, error, deleted
        case untracedJobs = "untraced_jobs"
    }

    /// Appends the result as ``encode(to:)`` writes it, keys sorted.
    func appendJSON(to json: inout String) {
        json += "{\"attempts\":\(attempts)"
        if let deleted { json += ",\"deleted\":\(deleted)" }
        json += ",\"error\":"
        JSONText.appendValue(error, to: &json)
        json += ",\"http_status\":" + (httpStatus.map(String.init) ?? "null")
        json += ",\"identifiers\":\(identifiers),\"reference\":"
        JSONText.appendValue(reference, to: &json)
        json += ",\"status\":"
        JSONText.appendValue(status.rawValue, to: &json)
        json += ",\"vendor\":"
        JSONText.appendValue(vendor.rawValue, to: &json)
        json += "}"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(vendor, forKey: .vendor)
        try container.encode(status, forKey: .status)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(httpStatus, forKey: .httpStatus)
        try container.encode(identifiers, forKey: .identifiers)
        try container.encode(reference, forKey: .reference)
        try container.encode(error, forKey: .error)
        try container.encodeIfPresent(deleted, forKey: .deleted)
        try container.encodeIfPresent(untracedJobs, forKey: .untracedJobs)
    }
}

extension Timestamp: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let timestamp = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not RFC 3339"))
        }
        self = timestamp
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}

extension Regulation: Codable {}

import Foundation

/// The value of a `user-erasure-outcomes` message: what happened to one request, with no identifier values in it.
public struct Outcome: Sendable, Hashable, Codable {
    /// How the request as a whole ended.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Every targeted vendor accepted the erasure or had nothing to erase.
        case completed
        /// At least one vendor failed.
        case failed
        /// The message is not a valid request; no vendor was called.
        case rejected
    }

    /// Where the request was read.
    public struct Source: Sendable, Hashable, Codable {
        /// The topic the request was first read from; parked and replayed requests keep it.
        public var topic: String
        /// The partition it was read from.
        public var partition: Int32
        /// Its offset in that partition.
        public var offset: Int64

        public init(topic: String, partition: Int32, offset: Int64) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
        }
    }

    /// Why a request was rejected, or why it failed.
    public struct Rejection: Sendable, Hashable, Codable {
        /// A stable code for the problem, such as `missing_field` (see ``RequestRejection/Code``).
        public var code: String
        /// The JSON path of the field at fault, such as `subject.email`; null when the message as a whole is.
        public var field: String?
        /// What is wrong, for a person to read. Never quotes the identifier it is about.
        public var message: String

        public init(code: String, field: String?, message: String) {
            self.code = code
            self.field = field
            self.message = message
        }

        public init(_ rejection: RequestRejection) {
            self.code = rejection.code.rawValue
            self.field = rejection.field
            self.message = rejection.message
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(field, forKey: .field)
            try container.encode(message, forKey: .message)
        }
    }

    /// `request_id`: the request's id; null for a rejected message it could not be read from.
    public var requestID: String?
    /// `request_digest`: tells apart two requests that share a `request_id` (see ``RecordSigner/digest(of:)``),
    /// and cannot be turned back into any identifier; null where `request_id` is.
    public var requestDigest: String?
    /// `status`: how the request ended.
    public var status: Status
    /// `regulation`, when it could be read.
    public var regulation: Regulation?
    /// `submitted_at`: when upstream submitted the request, from the request; null for a rejected message. The
    /// legal clock runs from here, so compliance reports measure from it.
    public var submittedAt: Timestamp?
    /// `received_at`: when the relay first read the request, kept across parks and replays.
    public var receivedAt: Timestamp
    /// `completed_at`: when this outcome was made.
    public var completedAt: Timestamp
    /// `deadline`: when the erasure had to be done by; null for a rejected message.
    public var deadline: Timestamp?
    /// `vendors`: one result per vendor the request targeted; empty for a rejected message.
    public var vendors: [VendorResult]
    /// `error`: why a request was rejected or failed; null when it completed.
    public var error: Rejection?
    /// `source`: where the request was read, so that compliance can trace the outcome to its message.
    public var source: Source

    public init(
        requestID: String?,
        requestDigest: String? = nil,
        status: Status,
        regulation: Regulation?,
        submittedAt: Timestamp? = nil,
        receivedAt: Timestamp,
        completedAt: Timestamp,
        deadline: Timestamp?,
        vendors: [VendorResult],
        error: Rejection?,
        source: Source
    ) {
        self.requestID = requestID
        self.requestDigest = requestDigest
        self.status = status
        self.regulation = regulation
        self.submittedAt = submittedAt
        self.receivedAt = receivedAt
        self.completedAt = completedAt
        self.deadline = deadline
        self.vendors = vendors
        self.error = error
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case requestDigest = "request_digest"
        case status, regulation
        case submittedAt = "submitted_at"
        case receivedAt = "received_at"
        case completedAt = "completed_at"
        case deadline, vendors, error, source
    }

    // Absent values are written as null, as the schema shows, rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(requestDigest, forKey: .requestDigest)
        try container.encode(status, forKey: .status)
        try container.encode(regulation, forKey: .regulation)
        try container.encode(submittedAt, forKey: .submittedAt)
        try container.encode(receivedAt, forKey: .receivedAt)
        try container.encode(completedAt, forKey: .completedAt)
        try container.encode(deadline, forKey: .deadline)
        try container.encode(vendors, forKey: .vendors)
        try container.encode(error, forKey: .error)
        try container.encode(source, forKey: .source)
    }

    /// The outcome as the JSON bytes published to the outcome topic: the members of ``encode(to:)``, keys sorted.
    ///
    /// Written by hand rather than with `JSONEncoder`, which took a tenth of the relay's time at full speed.
    public func jsonBytes() -> [UInt8] {
        var json = "{\"completed_at\":"
        json.reserveCapacity(256 + vendors.count * 160)
        JSONText.appendValue(completedAt.rfc3339, to: &json)
        json += ",\"deadline\":"
        JSONText.appendValue(deadline?.rfc3339, to: &json)
        json += ",\"error\":"
        if let error {
            json += "{\"code\":"
            JSONText.appendValue(error.code, to: &json)
            json += ",\"field\":"
            JSONText.appendValue(error.field, to: &json)
            json += ",\"message\":"
            JSONText.appendValue(error.message, to: &json)
            json += "}"
        } else {
            json += "null"
        }
        json += ",\"received_at\":"
        JSONText.appendValue(receivedAt.rfc3339, to: &json)
        json += ",\"regulation\":"
        JSONText.appendValue(regulation?.rawValue, to: &json)
        json += ",\"request_digest\":"
        JSONText.appendValue(requestDigest, to: &json)
        json += ",\"request_id\":"
        JSONText.appendValue(requestID, to: &json)
        json += ",\"source\":{\"offset\":\(source.offset),\"partition\":\(source.partition),\"topic\":"
        JSONText.appendValue(source.topic, to: &json)
        json += "},\"status\":"
        JSONText.appendValue(status.rawValue, to: &json)
        json += ",\"submitted_at\":"
        JSONText.appendValue(submittedAt?.rfc3339, to: &json)
        json += ",\"vendors\":["
        for (index, result) in vendors.enumerated() {
            if index > 0 { json += "," }
            result.appendJSON(to: &json)
        }
        json += "]}"
        return Array(json.utf8)
    }
}

import Foundation

/// The second record of a request whose vendors erase as jobs, on the outcome topic after its `completed` outcome:
/// whether each vendor's jobs finished. `type` is `confirmation`, which an outcome never has.
public struct ErasureConfirmation: Sendable, Hashable, Codable {
    /// How the request's jobs, or one vendor's, ended.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Every job said done.
        case confirmed
        /// A job said failed.
        case failed
        /// A job neither said done nor failed before it was given up, or could not be followed.
        case unconfirmed
    }

    /// One vendor's jobs.
    public struct VendorConfirmation: Sendable, Hashable, Codable {
        /// `vendor`.
        public var vendor: VendorID
        /// `status`: `failed` if any job failed, else `unconfirmed` if any job is, else `confirmed`.
        public var status: Status
        /// `job_ids`: the vendor's ids of the jobs, as the outcome's `reference` gave them.
        public var jobIDs: [String]
        /// `checks`: status calls answered, over all the vendor's jobs.
        public var checks: Int
        /// `error`: why a job failed or is unconfirmed; null when confirmed.
        public var error: String?
        /// `ended_at`: when the vendor's last job ended.
        public var endedAt: Timestamp?

        enum CodingKeys: String, CodingKey {
            case vendor, status
            case jobIDs = "job_ids"
            case checks, error
            case endedAt = "ended_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(vendor, forKey: .vendor)
            try container.encode(status, forKey: .status)
            try container.encode(jobIDs, forKey: .jobIDs)
            try container.encode(checks, forKey: .checks)
            try container.encode(error, forKey: .error)
            try container.encode(endedAt, forKey: .endedAt)
        }
    }

    /// `type`: always `confirmation`.
    public var type = Self.type
    /// `request_id`.
    public var requestID: String
    /// `request_digest`: as in the request's outcome.
    public var requestDigest: String?
    /// `status`: `failed` if any vendor's is, else `unconfirmed` if any vendor's is, else `confirmed`.
    public var status: Status
    /// `regulation`.
    public var regulation: Regulation
    /// `submitted_at`: when upstream submitted the request.
    public var submittedAt: Timestamp?
    /// `completed_at`: when the request's `completed` outcome was made.
    public var completedAt: Timestamp
    /// `confirmed_at`: when this record was made, once every job had ended.
    public var confirmedAt: Timestamp
    /// `vendors`: one entry per vendor that erases as jobs, in vendor order.
    public var vendors: [VendorConfirmation]
    /// `source`: where the request was first read.
    public var source: Outcome.Source

    /// The value of ``type``.
    public static let type = "confirmation"

    enum CodingKeys: String, CodingKey {
        case type
        case requestID = "request_id"
        case requestDigest = "request_digest"
        case status, regulation
        case submittedAt = "submitted_at"
        case completedAt = "completed_at"
        case confirmedAt = "confirmed_at"
        case vendors, source
    }

    /// The confirmation of `followUp`, whose jobs have all ended.
    public init(_ followUp: JobFollowUp, confirmedAt: Timestamp) {
        var vendors: [VendorConfirmation] = []
        for vendor in Set(followUp.jobs.map(\.vendor)).sorted() {
            let jobs = followUp.jobs.filter { $0.vendor == vendor }
            let status: Status =
                jobs.contains { $0.state == .failed }
                ? .failed : jobs.allSatisfy { $0.state == .confirmed } ? .confirmed : .unconfirmed
            vendors.append(
                VendorConfirmation(
                    vendor: vendor,
                    status: status,
                    jobIDs: jobs.compactMap(\.jobID),
                    checks: min(jobs.reduce(0) { $0 + $1.checks }, RequestProgress.maxCount),
                    error: status == .confirmed
                        ? nil : jobs.first { $0.state == (status == .failed ? .failed : .unconfirmed) }?.error,
                    endedAt: jobs.compactMap(\.endedAt).max()
                )
            )
        }
        self.requestID = followUp.requestID
        self.requestDigest = followUp.requestDigest
        self.status =
            vendors.contains { $0.status == .failed }
            ? .failed : vendors.allSatisfy { $0.status == .confirmed } ? .confirmed : .unconfirmed
        self.regulation = followUp.regulation
        self.submittedAt = followUp.submittedAt
        self.completedAt = followUp.completedAt
        self.confirmedAt = confirmedAt
        self.vendors = vendors
        self.source = followUp.source
    }

    /// Reads a confirmation; a record whose `type` is not `confirmation` is none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        guard type == Self.type else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "not a confirmation")
        }
        requestID = try container.decode(String.self, forKey: .requestID)
        requestDigest = try container.decodeIfPresent(String.self, forKey: .requestDigest)
        status = try container.decode(Status.self, forKey: .status)
        regulation = try container.decode(Regulation.self, forKey: .regulation)
        submittedAt = try container.decodeIfPresent(Timestamp.self, forKey: .submittedAt)
        completedAt = try container.decode(Timestamp.self, forKey: .completedAt)
        confirmedAt = try container.decode(Timestamp.self, forKey: .confirmedAt)
        vendors = try container.decode([VendorConfirmation].self, forKey: .vendors)
        source = try container.decode(Outcome.Source.self, forKey: .source)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(requestDigest, forKey: .requestDigest)
        try container.encode(status, forKey: .status)
        try container.encode(regulation, forKey: .regulation)
        try container.encode(submittedAt, forKey: .submittedAt)
        try container.encode(completedAt, forKey: .completedAt)
        try container.encode(confirmedAt, forKey: .confirmedAt)
        try container.encode(vendors, forKey: .vendors)
        try container.encode(source, forKey: .source)
    }

    /// The record's value: JSON, keys sorted.
    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Plain values that always encode.
        return Array(try! encoder.encode(self))
    }
}

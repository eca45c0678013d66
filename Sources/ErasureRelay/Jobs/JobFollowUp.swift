import Foundation
import Kafka

/// A request's deletion jobs as the jobs topic carries them: the value of a signed record that any replica takes up,
/// checks the jobs that are due, and writes again with their new state, until every job has ended and the
/// request's confirmation is published. No identifier is in it: a job is named by the vendor's id alone.
public struct JobFollowUp: Sendable, Hashable, Codable {
    /// `request_id`.
    public var requestID: String
    /// `request_digest`: as in the request's outcome.
    public var requestDigest: String?
    /// `regulation`.
    public var regulation: Regulation
    /// `submitted_at`: as in the request's outcome.
    public var submittedAt: Timestamp?
    /// `completed_at`: when the request's `completed` outcome was made, with each job's id.
    public var completedAt: Timestamp
    /// `source`: where the request was first read.
    public var source: Outcome.Source
    /// `jobs`: one per job, in vendor order.
    public var jobs: [FollowedJob]
    /// `follows`: the jobs-topic record this one was written from, after checking its jobs; nil for a request's
    /// first record, written from the request named by `source`.
    public var follows: Outcome.Source?

    public init(
        requestID: String,
        requestDigest: String?,
        regulation: Regulation,
        submittedAt: Timestamp?,
        completedAt: Timestamp,
        source: Outcome.Source,
        jobs: [FollowedJob],
        follows: Outcome.Source? = nil
    ) {
        self.requestID = requestID
        self.requestDigest = requestDigest
        self.regulation = regulation
        self.submittedAt = submittedAt
        self.completedAt = completedAt
        self.source = source
        self.jobs = jobs
        self.follows = follows
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case requestDigest = "request_digest"
        case regulation
        case submittedAt = "submitted_at"
        case completedAt = "completed_at"
        case source, jobs, follows
    }

    /// The most jobs one record follows: a request's references at one vendor are at most 1,000 characters.
    public static let maxJobs = 10_000

    /// When the next job is due; nil once every job has ended.
    public var nextCheckAt: Timestamp? {
        jobs.filter { !$0.hasEnded }.map(\.nextCheckAt).min()
    }

    /// What this record continues: the record it was written from, or for a first record, the request. Two records
    /// that continue the same one were both written from it, by replicas that each read it (it is read again after a
    /// crash or a rebalance that came before its offset was committed); only one of them is to be followed.
    public var lineage: Outcome.Source { follows ?? source }

    /// Whether every job has ended, so that the confirmation can be published.
    public var hasEnded: Bool { jobs.allSatisfy(\.hasEnded) }

    /// The record's value: JSON, keys sorted.
    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Plain values that always encode.
        return Array(try! encoder.encode(self))
    }

    /// Reads a record's value, bounding what it may hold before anything of it is trusted.
    /// - Throws: ``RequestRejection`` naming what is wrong.
    public init(jsonBytes: [UInt8]) throws(RequestRejection) {
        let decoded: JobFollowUp
        do {
            decoded = try JSONDecoder().decode(JobFollowUp.self, from: Data(jsonBytes))
        } catch {
            throw RequestRejection(code: .invalidJSON, field: nil, message: "is not a job follow-up record")
        }
        guard !decoded.jobs.isEmpty, decoded.jobs.count <= Self.maxJobs,
            decoded.jobs.allSatisfy({ job in
                (0...RequestProgress.maxCount).contains(job.checks)
                    && (job.jobID.map { !$0.isEmpty && $0.utf8.count <= VendorText.maxReferenceLength } ?? true)
                    && (job.error.map { $0.utf8.count <= RequestProgress.maxTextLength } ?? true)
            })
        else {
            throw RequestRejection(code: .invalidJSON, field: "jobs", message: "holds a job out of range")
        }
        self = decoded
    }
}

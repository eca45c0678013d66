/// One deletion job a vendor took for a request, as the jobs topic carries it between status checks.
public struct FollowedJob: Sendable, Hashable, Codable {
    /// Where the job stands.
    public enum State: String, Sendable, Hashable, Codable {
        /// Still running at the vendor: checked again at `next_check_at`.
        case following
        /// The vendor said the job is done.
        case confirmed
        /// The vendor said the job failed.
        case failed
        /// No answer said done or failed before `give_up_at`, or the job could not be followed at all.
        case unconfirmed
    }

    /// `vendor`.
    public var vendor: VendorID
    /// `job_id`: the vendor's id of the job; null for an accepted erasure that named no job.
    public var jobID: String?
    /// `state`.
    public var state: State
    /// `checks`: status calls answered so far, the state or a refusal.
    public var checks: Int
    /// `next_check_at`: when a `following` job is checked next.
    public var nextCheckAt: Timestamp
    /// `give_up_at`: when a job still `following` becomes `unconfirmed`.
    public var giveUpAt: Timestamp
    /// `error`: why a job failed or is unconfirmed, or why its last check failed. Never the vendor's free text.
    public var error: String?
    /// `ended_at`: when the job left `following`.
    public var endedAt: Timestamp?

    public init(
        vendor: VendorID,
        jobID: String?,
        state: State,
        checks: Int = 0,
        nextCheckAt: Timestamp,
        giveUpAt: Timestamp,
        error: String? = nil,
        endedAt: Timestamp? = nil
    ) {
        self.vendor = vendor
        self.jobID = jobID
        self.state = state
        self.checks = checks
        self.nextCheckAt = nextCheckAt
        self.giveUpAt = giveUpAt
        self.error = error
        self.endedAt = endedAt
    }

    enum CodingKeys: String, CodingKey {
        case vendor
        case jobID = "job_id"
        case state, checks
        case nextCheckAt = "next_check_at"
        case giveUpAt = "give_up_at"
        case error
        case endedAt = "ended_at"
    }

    /// Whether the job has an end: confirmed, failed or given up.
    public var hasEnded: Bool { state != .following }

    /// Ends the job in `state` at `now`.
    mutating func end(_ state: State, at now: Timestamp, error: String? = nil) {
        self.state = state
        self.endedAt = now
        self.error = error
    }
}

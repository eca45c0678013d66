/// What a data-protection officer asks of the outcome topic for a period: how many erasure requests, how many done,
/// how many done in time, and which failed or were rejected and why.
///
/// A pure value built from outcomes. Outcomes hold no identifiers, so neither does the report. A request redelivered
/// or replayed has several outcomes; it counts once, by request id, as its latest outcome in the log says.
public struct ComplianceReport: Sendable, Hashable, Encodable {
    /// Requests by how they ended.
    public struct Counts: Sendable, Hashable, Encodable {
        public var requests = 0
        public var completed = 0
        public var failed = 0
        public var rejected = 0
        /// For a vendor: the requests that held no identifier it takes, so it had nothing to erase. Always 0 in the
        /// total and by regulation, where a request ends completed, failed or rejected.
        public var skipped = 0
        /// Completed no later than the request's deadline.
        public var completedBeforeDeadline = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case requests, completed, failed, rejected, skipped
            case completedBeforeDeadline = "completed_before_deadline"
        }
    }

    /// A request that failed or was rejected.
    public struct Problem: Sendable, Hashable, Encodable {
        /// Null for a message whose request id could not be read; `source` then says which message it was.
        public var requestID: String?
        public var status: Outcome.Status
        public var regulation: Regulation?
        public var errorCode: String?
        /// Each failed vendor's error, by vendor name.
        public var vendorErrors: [String: String]
        public var source: Outcome.Source

        enum CodingKeys: String, CodingKey {
            case requestID = "request_id"
            case status, regulation, source
            case errorCode = "error_code"
            case vendorErrors = "vendor_errors"
        }

        // Absent values are written as null, as in the outcome itself, rather than left out.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(requestID, forKey: .requestID)
            try container.encode(status, forKey: .status)
            try container.encode(regulation, forKey: .regulation)
            try container.encode(errorCode, forKey: .errorCode)
            try container.encode(vendorErrors, forKey: .vendorErrors)
            try container.encode(source, forKey: .source)
        }
    }

    /// A record on the outcome topic whose signature is missing or matches none of the keys: whoever wrote it, it
    /// was not the relay, so it is never counted.
    public struct UnverifiedRecord: Sendable, Hashable, Encodable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        /// `unsigned` or `bad_signature`.
        public var reason: Reason

        /// Why the record is not the relay's.
        public enum Reason: String, Sendable, Hashable, Encodable {
            /// It carries no signature.
            case unsigned
            /// Its signature matches none of the keys, or is not one signature of the right form.
            case badSignature = "bad_signature"
        }

        public init(topic: String, partition: Int32, offset: Int64, reason: Reason) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.reason = reason
        }
    }

    /// A `request_id` that stood for more than one request (their digests differ): each request is counted, and
    /// this lists what each ended as, earliest first.
    public struct Conflict: Sendable, Hashable, Encodable {
        public var requestID: String
        public var statuses: [Outcome.Status]

        public init(requestID: String, statuses: [Outcome.Status]) {
            self.requestID = requestID
            self.statuses = statuses
        }

        enum CodingKeys: String, CodingKey {
            case requestID = "request_id"
            case statuses
        }
    }

    /// What one partition of the outcome topic still holds.
    public struct PartitionCoverage: Sendable, Hashable, Encodable {
        public var partition: Int32
        /// The offset of the earliest record still on the partition; null when it holds none.
        public var earliestOffset: Int64?
        /// The broker's timestamp of that record.
        public var earliestTimestamp: Timestamp?
        /// Whether records were removed from the partition's start (by retention, or deleted): its log does not
        /// start at offset 0.
        public var recordsRemoved: Bool

        public init(partition: Int32, earliestOffset: Int64?, earliestTimestamp: Timestamp?, recordsRemoved: Bool) {
            self.partition = partition
            self.earliestOffset = earliestOffset
            self.earliestTimestamp = earliestTimestamp
            self.recordsRemoved = recordsRemoved
        }

        /// Whether a period starting at `since` reaches before what the partition still holds.
        /// - Parameter since: the start of the period.
        public func isIncomplete(since: Timestamp) -> Bool {
            guard recordsRemoved else { return false }
            guard let earliestTimestamp else { return true }
            return earliestTimestamp > since
        }

        enum CodingKeys: String, CodingKey {
            case partition
            case earliestOffset = "earliest_offset"
            case earliestTimestamp = "earliest_timestamp"
            case recordsRemoved = "records_removed"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(partition, forKey: .partition)
            try container.encode(earliestOffset, forKey: .earliestOffset)
            try container.encode(earliestTimestamp, forKey: .earliestTimestamp)
            try container.encode(recordsRemoved, forKey: .recordsRemoved)
        }
    }

    /// How the deletion jobs of vendors that erase as jobs ended, one count per request, from its latest
    /// confirmation record. A request whose jobs are still followed has none yet.
    public struct Confirmations: Sendable, Hashable, Encodable {
        /// Every job said done.
        public var confirmed = 0
        /// A job said failed.
        public var failed = 0
        /// A job was given up, or could not be followed.
        public var unconfirmed = 0
        /// The median and the 95th percentile of the time from `submitted_at` to `confirmed_at` of confirmed
        /// requests.
        public var secondsToConfirmP50: Double?
        public var secondsToConfirmP95: Double?

        public init() {}

        enum CodingKeys: String, CodingKey {
            case confirmed, failed, unconfirmed
            case secondsToConfirmP50 = "seconds_to_confirm_p50"
            case secondsToConfirmP95 = "seconds_to_confirm_p95"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(confirmed, forKey: .confirmed)
            try container.encode(failed, forKey: .failed)
            try container.encode(unconfirmed, forKey: .unconfirmed)
            try container.encode(secondsToConfirmP50, forKey: .secondsToConfirmP50)
            try container.encode(secondsToConfirmP95, forKey: .secondsToConfirmP95)
        }
    }

    public var since: Timestamp
    public var until: Timestamp
    public var total = Counts()
    /// By regulation (`gdpr`, `ccpa`, or `unknown` for a message whose regulation could not be read).
    public var regulations: [String: Counts] = [:]
    /// By vendor: a request counts for each vendor it targeted; `completed` means the vendor took the erasure,
    /// `failed` that it did not, `skipped` that the request held nothing it takes, and `rejected` that the request
    /// was rejected. Each row adds up: requests = completed + failed + rejected + skipped.
    public var vendors: [String: Counts] = [:]
    /// The median and the 95th percentile of the time from `submitted_at` to `completed_at` of completed requests.
    public var completionSecondsP50: Double?
    public var completionSecondsP95: Double?
    public var problems: [Problem] = []
    /// Confirmations of deletion jobs, by how they ended.
    public var confirmations = Confirmations()
    /// Outcomes that stood for a request already counted: redeliveries and replays.
    public var duplicateOutcomes = 0
    /// Records on the topic that were not outcomes.
    public var unreadableRecords = 0
    /// Whether every record was checked against the signing keys. Without a key nothing can be checked: the report
    /// then counts what the topic holds, and says so.
    public var verified = false
    /// Records whose signature is missing or wrong, never counted: the first
    /// ``Tally/listedUnverifiedLimit`` of them.
    public var unverifiedRecords: [UnverifiedRecord] = []
    /// All records whose signature is missing or wrong.
    public var unverifiedRecordCount = 0
    public var conflicts: [Conflict] = []
    /// What each partition still holds, so that a period reaching before it shows as incomplete.
    public var coverage: [PartitionCoverage] = []

    /// The time before which the report is incomplete: the latest earliest record of the partitions that lost
    /// records the period asks for. Nil when the topic holds the whole period.
    public var incompleteBefore: Timestamp? {
        let incomplete = coverage.filter { $0.isIncomplete(since: since) }
        guard !incomplete.isEmpty else { return nil }
        return incomplete.map { $0.earliestTimestamp ?? until }.max()
    }

    enum CodingKeys: String, CodingKey {
        case since, until, total, regulations, vendors, problems
        case completionSecondsP50 = "completion_seconds_p50"
        case completionSecondsP95 = "completion_seconds_p95"
        case duplicateOutcomes = "duplicate_outcomes"
        case unreadableRecords = "unreadable_records"
        case verified
        case unverifiedRecords = "unverified_records"
        case unverifiedRecordCount = "unverified_record_count"
        case conflicts, coverage
        case incompleteBefore = "incomplete_before"
        case confirmations
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(since, forKey: .since)
        try container.encode(until, forKey: .until)
        try container.encode(total, forKey: .total)
        try container.encode(regulations, forKey: .regulations)
        try container.encode(vendors, forKey: .vendors)
        try container.encode(completionSecondsP50, forKey: .completionSecondsP50)
        try container.encode(completionSecondsP95, forKey: .completionSecondsP95)
        try container.encode(problems, forKey: .problems)
        try container.encode(duplicateOutcomes, forKey: .duplicateOutcomes)
        try container.encode(unreadableRecords, forKey: .unreadableRecords)
        try container.encode(verified, forKey: .verified)
        try container.encode(unverifiedRecords, forKey: .unverifiedRecords)
        try container.encode(unverifiedRecordCount, forKey: .unverifiedRecordCount)
        try container.encode(conflicts, forKey: .conflicts)
        try container.encode(coverage, forKey: .coverage)
        try container.encode(incompleteBefore, forKey: .incompleteBefore)
        try container.encode(confirmations, forKey: .confirmations)
    }

    /// - Parameters:
    ///   - outcomes: in the order they stand in the log; of two outcomes of one request, the later one wins,
    ///     whatever their `completed_at` says.
    ///   - unreadableRecords: records of the period that were not outcomes.
    ///   - since: the start of the period read.
    ///   - until: its end.
    public init(outcomes: [Outcome], unreadableRecords: Int = 0, since: Timestamp, until: Timestamp) {
        var tally = Tally()
        for outcome in outcomes { tally.add(outcome) }
        tally.unreadableRecords = unreadableRecords
        self = tally.report(since: since, until: until)
    }

    init(since: Timestamp, until: Timestamp) {
        self.since = since
        self.until = until
    }

    static func count(_ status: Outcome.Status, inTime: Bool, in counts: inout Counts) {
        counts.requests += 1
        switch status {
        case .completed:
            counts.completed += 1
            if inTime { counts.completedBeforeDeadline += 1 }
        case .failed: counts.failed += 1
        case .rejected: counts.rejected += 1
        }
    }

    /// Nearest rank: the smallest value with at least `fraction` of the values at or below it.
    static func percentile(_ fraction: Double, of sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((Double(sorted.count) * fraction).rounded(.up))
        return sorted[max(0, min(sorted.count, rank) - 1)]
    }
}

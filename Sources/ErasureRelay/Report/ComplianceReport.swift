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
    /// Outcomes that stood for a request already counted: redeliveries and replays.
    public var duplicateOutcomes = 0
    /// Records on the topic that were not outcomes.
    public var unreadableRecords = 0

    enum CodingKeys: String, CodingKey {
        case since, until, total, regulations, vendors, problems
        case completionSecondsP50 = "completion_seconds_p50"
        case completionSecondsP95 = "completion_seconds_p95"
        case duplicateOutcomes = "duplicate_outcomes"
        case unreadableRecords = "unreadable_records"
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

extension ComplianceReport {
    /// Outcomes folded in one at a time, as they are read from the topic.
    ///
    /// A month of outcomes may run to millions, redeliveries and replays included. The tally keeps, for each
    /// request, only what the report counts: its status, regulation, timing and vendor statuses, and the error texts
    /// of a request that failed or was rejected. So memory grows with the requests of the period, never with their
    /// outcomes, and no outcome is held whole.
    public struct Tally: Sendable {
        /// Where an outcome stands on the topic. Which of a request's outcomes is the latest is decided by the log,
        /// never by a field inside the record, which whoever writes the record chooses: a forged `completed_at` in
        /// the year 9999 must not outlast every later outcome.
        public struct LogPosition: Sendable, Hashable {
            public var partition: Int32
            public var offset: Int64
            /// The broker's timestamp of the record, in milliseconds since the epoch.
            public var timestamp: Int64?

            public init(partition: Int32, offset: Int64, timestamp: Int64?) {
                self.partition = partition
                self.offset = offset
                self.timestamp = timestamp
            }

            /// Later in the log than `other`: in one partition by offset, across partitions by the broker's timestamp.
            func isLater(than other: LogPosition) -> Bool {
                if partition == other.partition { return offset > other.offset }
                return (timestamp ?? .min) > (other.timestamp ?? .min)
            }

            func isEarlier(than other: LogPosition) -> Bool {
                if partition == other.partition { return offset < other.offset }
                return ((timestamp ?? .min), partition) < ((other.timestamp ?? .min), other.partition)
            }
        }

        /// What the report needs of one request's latest outcome.
        struct Entry: Sendable {
            var position: LogPosition
            var status: Outcome.Status
            var regulation: String
            var completedAt: Timestamp
            var inTime: Bool
            var completionSeconds: Double?
            var vendorStatuses: [(vendor: String, status: VendorResult.Status)]
            /// Set for a request that failed or was rejected.
            var problem: Problem?
        }

        /// One request: its id and its digest. Two requests that share an id are told apart by the digest of what
        /// they asked, so that a request reusing a failed request's id cannot hide that failure.
        struct RequestKey: Hashable {
            var id: String
            var digest: String?
        }

        private var latest: [RequestKey: Entry] = [:]
        /// Outcomes of messages whose request id could not be read: each counts on its own.
        private var anonymous: [Entry] = []
        /// Outcomes folded in, duplicates included.
        public private(set) var outcomes = 0
        /// Records of the period that were not outcomes.
        public var unreadableRecords = 0
        private var duplicateOutcomes = 0
        private var unverified: [UnverifiedRecord] = []
        private var unverifiedCount = 0
        /// Whether every record counted was checked against the signing keys.
        public var verified = false
        /// What each partition of the topic still holds; set by whoever read it.
        public var coverage: [PartitionCoverage] = []

        /// The most records that failed verification the report lists one by one; the rest are counted.
        public static let listedUnverifiedLimit = 1000

        public init() {}

        /// Notes a record that failed verification: it is listed apart and never counted.
        public mutating func addUnverified(_ record: UnverifiedRecord) {
            unverifiedCount += 1
            if unverified.count < Self.listedUnverifiedLimit { unverified.append(record) }
        }

        /// Folds in the next outcome read: of two outcomes of one request, the one later in the log wins, and of two
        /// in different partitions with the same broker timestamp, the one read later.
        /// - Parameters:
        ///   - outcome: the outcome read.
        ///   - position: where it stands on the topic; without it, the order of reading stands for the log.
        public mutating func add(_ outcome: Outcome, at position: LogPosition? = nil) {
            outcomes += 1
            let position = position ?? LogPosition(partition: 0, offset: Int64(outcomes), timestamp: nil)
            guard let requestID = outcome.requestID else {
                anonymous.append(Self.entry(outcome, at: position))
                return
            }
            let key = RequestKey(id: requestID, digest: outcome.requestDigest)
            if let seen = latest[key] {
                duplicateOutcomes += 1
                if seen.position.isLater(than: position) { return }
            }
            latest[key] = Self.entry(outcome, at: position)
        }

        /// The report of the period, counting each request once.
        public func report(since: Timestamp, until: Timestamp) -> ComplianceReport {
            var report = ComplianceReport(since: since, until: until)
            report.unreadableRecords = unreadableRecords
            report.duplicateOutcomes = duplicateOutcomes
            report.verified = verified
            report.unverifiedRecords = unverified
            report.unverifiedRecordCount = unverifiedCount
            report.coverage = coverage
            var requestsByID: [String: [Entry]] = [:]
            for (key, entry) in latest { requestsByID[key.id, default: []].append(entry) }
            report.conflicts = requestsByID.compactMap { id, entries in
                guard entries.count > 1 else { return nil }
                return Conflict(
                    requestID: id,
                    statuses: entries.sorted { $0.position.isEarlier(than: $1.position) }.map(\.status)
                )
            }.sorted { $0.requestID < $1.requestID }
            let counted = latest.sorted {
                ($0.value.completedAt, $0.key.id, $0.key.digest ?? "") < (
                    $1.value.completedAt, $1.key.id, $1.key.digest ?? ""
                )
            }
            var completionSeconds: [Double] = []
            for entry in counted.map(\.value) + anonymous {
                ComplianceReport.count(entry.status, inTime: entry.inTime, in: &report.total)
                ComplianceReport.count(
                    entry.status,
                    inTime: entry.inTime,
                    in: &report.regulations[entry.regulation, default: .init()]
                )
                for (vendor, status) in entry.vendorStatuses {
                    var counts = report.vendors[vendor, default: .init()]
                    counts.requests += 1
                    switch (entry.status, status) {
                    case (.rejected, _): counts.rejected += 1
                    case (_, .accepted):
                        counts.completed += 1
                        if entry.inTime { counts.completedBeforeDeadline += 1 }
                    case (_, .failed): counts.failed += 1
                    case (_, .skipped): counts.skipped += 1
                    }
                    report.vendors[vendor] = counts
                }
                if let seconds = entry.completionSeconds { completionSeconds.append(seconds) }
                if let problem = entry.problem { report.problems.append(problem) }
            }
            completionSeconds.sort()
            report.completionSecondsP50 = ComplianceReport.percentile(0.5, of: completionSeconds)
            report.completionSecondsP95 = ComplianceReport.percentile(0.95, of: completionSeconds)
            return report
        }

        private static func entry(_ outcome: Outcome, at position: LogPosition) -> Entry {
            var entry = Entry(
                position: position,
                status: outcome.status,
                regulation: outcome.regulation?.rawValue ?? "unknown",
                completedAt: outcome.completedAt,
                inTime: outcome.deadline.map { outcome.completedAt <= $0 } ?? false,
                vendorStatuses: outcome.vendors.map { ($0.vendor.rawValue, $0.status) }
            )
            switch outcome.status {
            case .completed:
                let start = outcome.submittedAt ?? outcome.receivedAt
                entry.completionSeconds =
                    Double(outcome.completedAt.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000
            case .failed, .rejected:
                entry.problem = Problem(
                    requestID: outcome.requestID,
                    status: outcome.status,
                    regulation: outcome.regulation,
                    errorCode: outcome.error?.code,
                    vendorErrors: Dictionary(
                        outcome.vendors.compactMap { result in
                            result.status == .failed ? (result.vendor.rawValue, result.error ?? "failed") : nil
                        },
                        uniquingKeysWith: { first, _ in first }
                    ),
                    source: outcome.source
                )
            }
            return entry
        }
    }
}

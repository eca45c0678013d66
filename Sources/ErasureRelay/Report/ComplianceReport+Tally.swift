extension ComplianceReport {
    /// Outcomes folded in one at a time, as they are read from the topic.
    ///
    /// A month of outcomes may run to millions, redeliveries and replays included. The tally keeps, for each
    /// request, only what the report counts, packed: where its latest outcome stands, its status, regulation, timing
    /// and vendor statuses (vendor and regulation names are kept once, and numbered), and, apart, the error texts of
    /// a request that failed or was rejected. So memory grows with the requests of the period, about a hundred bytes
    /// each beside the request id, never with their outcomes, and no outcome is held whole.
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
            /// Where the outcome stands, field by field rather than as a ``LogPosition``, whose optional timestamp
            /// would pad every entry by 8 bytes.
            var offset: Int64
            /// The broker's timestamp, or `Int64.min` for none.
            var timestamp: Int64
            var partition: Int32
            /// The first 64 bits of the request's digest: enough to tell requests under one id apart.
            var digest: UInt64
            /// Seconds from submission to completion of a completed request; NaN otherwise.
            var completionSeconds: Float
            /// Up to four vendors' statuses, 16 bits each: the vendor's number plus one, shifted by 2, and the status.
            var vendors: UInt64
            /// The statuses of a fifth vendor and on, packed the same way.
            var moreVendors: [UInt16]?
            var status: Outcome.Status
            var regulation: UInt8
            var inTime: Bool

            var position: LogPosition {
                LogPosition(partition: partition, offset: offset, timestamp: timestamp == .min ? nil : timestamp)
            }

            var packedVendors: [UInt16] {
                var packed: [UInt16] = []
                var word = vendors
                while word != 0 {
                    packed.append(UInt16(truncatingIfNeeded: word))
                    word >>= 16
                }
                return packed + (moreVendors ?? [])
            }
        }

        /// One request: its id and its digest. Two requests that share an id are told apart by the digest of what
        /// they asked, so that a request reusing a failed request's id cannot hide that failure.
        struct RequestKey: Hashable {
            var id: String
            var digest: UInt64
        }

        /// Each request's latest outcome, by request id; the first request seen under an id.
        private var latest: [String: Entry] = [:]
        /// The further requests under an id already in `latest`, with another digest: rare, so kept apart.
        private var conflicting: [String: [Entry]] = [:]
        /// The error texts of the requests whose latest outcome failed or was rejected, with when it was made.
        private var problems: [RequestKey: (completedAt: Timestamp, problem: Problem)] = [:]
        /// Outcomes of messages whose request id could not be read: each counts on its own.
        private var anonymous: [Entry] = []
        private var anonymousProblems: [(completedAt: Timestamp, problem: Problem)] = []
        /// Each request's latest confirmation: how its jobs ended, and seconds from submission to confirmation.
        private var confirmations: [RequestKey: (status: ErasureConfirmation.Status, seconds: Float, at: LogPosition)] =
            [:]
        private var vendorNumbers: [String: UInt16] = [:]
        private var vendorNames: [String] = []
        private static let regulationNames = ["unknown"] + Regulation.allCases.map(\.rawValue)
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

        /// Makes room for the requests of `outcomes` outcomes at once, rather than growing (and for a moment holding
        /// twice) the table as they come; at most four million, since redeliveries are counted in `outcomes`.
        /// - Parameter outcomes: the records the period holds at most.
        public mutating func reserve(outcomes: Int) {
            latest.reserveCapacity(min(outcomes, 4_000_000))
        }

        /// Notes a record that failed verification: it is listed apart and never counted.
        /// - Parameter record: where it stands and why it failed.
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
            let entry = self.entry(outcome, at: position)
            let problem = Self.problem(outcome)
            guard let requestID = outcome.requestID else {
                anonymous.append(entry)
                if let problem { anonymousProblems.append((outcome.completedAt, problem)) }
                return
            }
            let key = RequestKey(id: requestID, digest: entry.digest)
            if let seen = latest[requestID], seen.digest == entry.digest {
                duplicateOutcomes += 1
                if seen.position.isLater(than: position) { return }
                latest[requestID] = entry
            } else if latest[requestID] == nil {
                latest[requestID] = entry
            } else if let index = conflicting[requestID]?.firstIndex(where: { $0.digest == entry.digest }) {
                duplicateOutcomes += 1
                if conflicting[requestID]![index].position.isLater(than: position) { return }
                conflicting[requestID]![index] = entry
            } else {
                conflicting[requestID, default: []].append(entry)
            }
            problems[key] = problem.map { (outcome.completedAt, $0) }
        }

        /// Folds in a confirmation read: of two confirmations of one request, the one later in the log wins.
        /// - Parameters:
        ///   - confirmation: the confirmation read.
        ///   - position: where it stands on the topic; without it, the order of reading stands for the log.
        public mutating func add(_ confirmation: ErasureConfirmation, at position: LogPosition? = nil) {
            let position =
                position ?? LogPosition(partition: 0, offset: Int64(outcomes + confirmations.count), timestamp: nil)
            let key = RequestKey(id: confirmation.requestID, digest: Self.digestPrefix(confirmation.requestDigest))
            if let seen = confirmations[key], seen.at.isLater(than: position) { return }
            let start = confirmation.submittedAt ?? confirmation.completedAt
            let seconds = Float(confirmation.confirmedAt.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000
            confirmations[key] = (confirmation.status, seconds, position)
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
            report.conflicts = conflicting.map { id, others in
                let entries = ([latest[id]!] + others).sorted { $0.position.isEarlier(than: $1.position) }
                return Conflict(requestID: id, statuses: entries.map(\.status))
            }.sorted { $0.requestID < $1.requestID }
            var completionSeconds: [Double] = []
            completionSeconds.reserveCapacity(latest.count)
            func count(_ entry: Entry) {
                ComplianceReport.count(entry.status, inTime: entry.inTime, in: &report.total)
                ComplianceReport.count(
                    entry.status,
                    inTime: entry.inTime,
                    in: &report.regulations[Self.regulationNames[Int(entry.regulation)], default: .init()]
                )
                for packed in entry.packedVendors {
                    let vendor = vendorNames[Int(packed >> 2) - 1]
                    let status = VendorResult.Status.allCases[Int(packed & 3)]
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
                if !entry.completionSeconds.isNaN { completionSeconds.append(Double(entry.completionSeconds)) }
            }
            for entry in latest.values { count(entry) }
            for entry in conflicting.values.joined() { count(entry) }
            for entry in anonymous { count(entry) }
            report.problems =
                problems.sorted {
                    ($0.value.completedAt, $0.key.id, $0.key.digest) < ($1.value.completedAt, $1.key.id, $1.key.digest)
                }
                .map(\.value.problem) + anonymousProblems.map(\.problem)
            completionSeconds.sort()
            report.completionSecondsP50 = ComplianceReport.percentile(0.5, of: completionSeconds)
            report.completionSecondsP95 = ComplianceReport.percentile(0.95, of: completionSeconds)
            var confirmationSeconds: [Double] = []
            for confirmation in confirmations.values {
                switch confirmation.status {
                case .confirmed:
                    report.confirmations.confirmed += 1
                    confirmationSeconds.append(Double(confirmation.seconds))
                case .failed: report.confirmations.failed += 1
                case .unconfirmed: report.confirmations.unconfirmed += 1
                }
            }
            confirmationSeconds.sort()
            report.confirmations.secondsToConfirmP50 = ComplianceReport.percentile(0.5, of: confirmationSeconds)
            report.confirmations.secondsToConfirmP95 = ComplianceReport.percentile(0.95, of: confirmationSeconds)
            return report
        }

        private mutating func entry(_ outcome: Outcome, at position: LogPosition) -> Entry {
            var packed: [UInt16] = []
            for result in outcome.vendors {
                let name = result.vendor.rawValue
                let number: UInt16
                if let known = vendorNumbers[name] {
                    number = known
                } else {
                    // Vendor names are validated words of up to 64 characters, and a relay has a handful; a topic
                    // holding more than 16,000 is not an honest one, and its further names share the last number.
                    number = UInt16(min(vendorNames.count, 16_382))
                    if vendorNames.count <= 16_382 {
                        vendorNames.append(name)
                        vendorNumbers[name] = number
                    }
                }
                let status = UInt16(VendorResult.Status.allCases.firstIndex(of: result.status)!)
                packed.append((number + 1) << 2 | status)
            }
            var completionSeconds = Float.nan
            if outcome.status == .completed {
                let start = outcome.submittedAt ?? outcome.receivedAt
                completionSeconds =
                    Float(outcome.completedAt.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000
            }
            return Entry(
                offset: position.offset,
                timestamp: position.timestamp ?? .min,
                partition: position.partition,
                digest: Self.digestPrefix(outcome.requestDigest),
                completionSeconds: completionSeconds,
                vendors: packed.prefix(4).enumerated().reduce(0) {
                    $0 | UInt64($1.element) << (16 * UInt64($1.offset))
                },
                moreVendors: packed.count > 4 ? Array(packed.dropFirst(4)) : nil,
                status: outcome.status,
                regulation: UInt8(Self.regulationNames.firstIndex(of: outcome.regulation?.rawValue ?? "unknown")!),
                inTime: outcome.deadline.map { outcome.completedAt <= $0 } ?? false
            )
        }

        /// The first 64 bits of a digest; a digest that is not hex (a forged or old record) is hashed instead, so
        /// that equal texts still compare equal.
        private static func digestPrefix(_ digest: String?) -> UInt64 {
            guard let digest else { return 0 }
            if digest.utf8.count >= 16, let value = UInt64(digest.prefix(16), radix: 16) { return value }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in digest.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return hash
        }

        private static func problem(_ outcome: Outcome) -> Problem? {
            guard outcome.status != .completed else { return nil }
            return Problem(
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
    }
}

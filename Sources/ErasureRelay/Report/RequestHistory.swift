import Foundation

/// Everything the outcome topic holds about one `request_id`, in log order: the answer to "what happened to this
/// person's erasure". Outcomes hold no identifiers, so neither does the history.
public struct RequestHistory: Sendable, Encodable {
    /// One record under the id.
    public struct Entry: Sendable, Encodable {
        public var partition: Int32
        public var offset: Int64
        /// The broker's timestamp.
        public var timestamp: Timestamp?
        public var signature: Signature
        public var outcome: Outcome

        /// What the record's signature says of who wrote it.
        public enum Signature: String, Sendable, Hashable, Encodable {
            /// One of the relay's keys signed it.
            case signed
            /// No key was given, so nothing was checked.
            case notChecked = "not_checked"
            case unsigned
            case badSignature = "bad_signature"

            init(_ reason: ComplianceReport.UnverifiedRecord.Reason) {
                switch reason {
                case .unsigned: self = .unsigned
                case .badSignature: self = .badSignature
                }
            }

            /// Whether the record was shown not to be the relay's: never counted.
            public var isForged: Bool { self == .unsigned || self == .badSignature }
        }

        enum CodingKeys: String, CodingKey {
            case partition, offset, timestamp, signature, outcome
        }
    }

    /// A confirmation of the request's deletion jobs, where the topic holds it.
    public struct ConfirmationEntry: Sendable, Encodable {
        public var partition: Int32
        public var offset: Int64
        /// The broker's timestamp.
        public var timestamp: Timestamp?
        public var confirmation: ErasureConfirmation
    }

    public var requestID: String
    public var entries: [Entry] = []
    /// The request's confirmations, signed (or, without a key, unchecked), in log order.
    public var confirmations: [ConfirmationEntry] = []

    public init(requestID: String) {
        self.requestID = requestID
    }

    /// The distinct requests among the signed entries, by digest: more than one is a conflict.
    public var requestCount: Int {
        Set(entries.filter { !$0.signature.isForged }.map(\.outcome.requestDigest))
            .count
    }

    /// Adds `record` if it is about this request.
    /// - Parameters:
    ///   - record: a record as the reader found it.
    ///   - verified: whether the reader checked signatures; without a key, a record counts as `not_checked`.
    public mutating func add(_ record: OutcomeTopicReader.Record, verified: Bool) {
        switch record {
        case .outcome(let outcome, let position) where outcome.requestID == requestID:
            entries.append(Self.entry(outcome, position, signature: verified ? .signed : .notChecked))
        case .unverified(let unverified, let outcome?, let position) where outcome.requestID == requestID:
            entries.append(Self.entry(outcome, position, signature: .init(unverified.reason)))
        case .confirmation(let confirmation, let position) where confirmation.requestID == requestID:
            confirmations.append(
                ConfirmationEntry(
                    partition: position.partition,
                    offset: position.offset,
                    timestamp: position.timestamp.map { Timestamp(millisecondsSinceEpoch: $0) },
                    confirmation: confirmation
                )
            )
        default:
            break
        }
    }

    /// The entries in log order, as the tally orders a request's outcomes: by offset within a partition, by broker
    /// timestamp across partitions.
    public mutating func sort() {
        func position(
            _ partition: Int32,
            _ offset: Int64,
            _ timestamp: Timestamp?
        ) -> ComplianceReport.Tally.LogPosition {
            .init(partition: partition, offset: offset, timestamp: timestamp?.millisecondsSinceEpoch)
        }
        entries.sort {
            position($0.partition, $0.offset, $0.timestamp).isEarlier(
                than: position($1.partition, $1.offset, $1.timestamp)
            )
        }
        confirmations.sort {
            position($0.partition, $0.offset, $0.timestamp).isEarlier(
                than: position($1.partition, $1.offset, $1.timestamp)
            )
        }
    }

    private static func entry(
        _ outcome: Outcome,
        _ position: ComplianceReport.Tally.LogPosition,
        signature: Entry.Signature
    ) -> Entry {
        Entry(
            partition: position.partition,
            offset: position.offset,
            timestamp: position.timestamp.map { Timestamp(millisecondsSinceEpoch: $0) },
            signature: signature,
            outcome: outcome
        )
    }

    /// The history in `format`: for a person, one CSV row per record, or JSON.
    /// - Parameter format: text, csv or json.
    public func rendered(as format: ComplianceReport.Format) -> String {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            // Every member is a plain value that always encodes.
            return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
        case .csv:
            var rows = [
                ["partition", "offset", "timestamp", "signature", "status", "request_digest", "error_code", "vendors"]
            ]
            for entry in entries {
                rows.append([
                    "\(entry.partition)", "\(entry.offset)", entry.timestamp?.rfc3339 ?? "", entry.signature.rawValue,
                    entry.outcome.status.rawValue, entry.outcome.requestDigest ?? "", entry.outcome.error?.code ?? "",
                    Self.vendorSummary(entry.outcome),
                ])
            }
            for entry in confirmations {
                let confirmation = entry.confirmation
                rows.append([
                    "\(entry.partition)", "\(entry.offset)", entry.timestamp?.rfc3339 ?? "", "signed",
                    "confirmation \(confirmation.status.rawValue)", confirmation.requestDigest ?? "", "",
                    confirmation.vendors.map { "\($0.vendor.rawValue)=\($0.status.rawValue)" }.joined(separator: "; "),
                ])
            }
            return rows.map { $0.map(ComplianceReport.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .text:
            return text
        }
    }

    /// The history for a person to read.
    public var text: String {
        let printable = ComplianceReport.printable
        var lines = ["Outcome records of request \(printable(requestID)): \(entries.count)"]
        if entries.isEmpty {
            lines.append("The topic holds no outcome of this request in the period read.")
        }
        if requestCount > 1 {
            lines.append(
                "Conflict: this request id stood for \(requestCount) different requests (their digests differ)."
            )
        }
        for entry in entries {
            let outcome = entry.outcome
            lines.append("")
            lines.append(
                "partition \(entry.partition) offset \(entry.offset)  \(entry.timestamp?.rfc3339 ?? "no timestamp")  "
                    + (entry.signature.isForged
                        ? "\(entry.signature.rawValue.uppercased()): NOT WRITTEN BY THE RELAY, NOT COUNTED"
                        : entry.signature.rawValue)
            )
            lines.append("  status \(outcome.status.rawValue), regulation \(outcome.regulation?.rawValue ?? "-")")
            lines.append("  request digest \(printable(outcome.requestDigest ?? "-"))")
            lines.append(
                "  submitted \(outcome.submittedAt?.rfc3339 ?? "-"), received \(outcome.receivedAt.rfc3339), "
                    + "outcome made \(outcome.completedAt.rfc3339), deadline \(outcome.deadline?.rfc3339 ?? "-")"
            )
            if let error = outcome.error {
                lines.append(
                    "  error \(printable(error.code)) \(printable(error.field ?? "-")): \(printable(error.message))"
                )
            }
            for result in outcome.vendors {
                var line = "  vendor \(printable(result.vendor.rawValue)): \(result.status.rawValue), "
                line += "\(result.attempts) calls, \(result.identifiers) identifiers"
                if let status = result.httpStatus { line += ", HTTP \(status)" }
                if let reference = result.reference { line += ", reference \(printable(reference))" }
                if let error = result.error { line += ", \(printable(error))" }
                lines.append(line)
            }
            lines.append(
                "  read from \(printable(outcome.source.topic))/\(outcome.source.partition)/\(outcome.source.offset)"
            )
        }
        for entry in confirmations {
            let confirmation = entry.confirmation
            lines.append("")
            lines.append(
                "partition \(entry.partition) offset \(entry.offset)  \(entry.timestamp?.rfc3339 ?? "no timestamp")  "
                    + "confirmation \(confirmation.status.rawValue), made \(confirmation.confirmedAt.rfc3339)"
            )
            for vendor in confirmation.vendors {
                var line = "  vendor \(printable(vendor.vendor.rawValue)): \(vendor.status.rawValue), "
                line += "jobs \(printable(vendor.jobIDs.joined(separator: ","))), \(vendor.checks) checks"
                if let error = vendor.error { line += ", \(printable(error))" }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func vendorSummary(_ outcome: Outcome) -> String {
        outcome.vendors.map { "\($0.vendor.rawValue)=\($0.status.rawValue)" }.joined(separator: "; ")
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case requestCount = "request_count"
        case entries, confirmations
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(requestCount, forKey: .requestCount)
        try container.encode(entries, forKey: .entries)
        try container.encode(confirmations, forKey: .confirmations)
    }
}

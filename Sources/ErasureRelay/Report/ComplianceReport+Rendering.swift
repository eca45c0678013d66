import Foundation

extension ComplianceReport {
    /// How the report is printed.
    public enum Format: String, Sendable, CaseIterable {
        case text, csv, json
    }

    public func rendered(as format: Format) -> String {
        switch format {
        case .text: text
        case .csv: csv
        case .json: json
        }
    }

    /// The report for a person to read.
    public var text: String {
        var lines = ["Erasure requests with an outcome from \(since.rfc3339) to \(until.rfc3339)", ""]
        lines += notices.map { "\($0.name == "not_verified" ? "NOT VERIFIED" : "INCOMPLETE"): \($0.text)" }
        if !notices.isEmpty { lines.append("") }
        let header = ["", "requests", "completed", "failed", "rejected", "skipped", "completed before deadline"]
        var rows = [("all requests", total)]
        rows += regulations.keys.sorted().map { ("regulation \($0)", regulations[$0]!) }
        rows += vendors.keys.sorted().map { ("vendor \($0)", vendors[$0]!) }
        let table = [header] + rows.map { name, counts in [Self.printable(name)] + counts.columns.map(String.init) }
        let widths = header.indices.map { column in table.map { $0[column].count }.max()! }
        for row in table {
            let cells = row.indices.map { column in
                column == 0
                    ? row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - row[column].count) + row[column]
            }
            lines.append(cells.joined(separator: "  "))
        }
        lines.append("")
        if let p50 = completionSecondsP50, let p95 = completionSecondsP95 {
            lines.append(
                "Time from submitted_at to completed_at, completed requests: p50 \(Self.duration(p50)), "
                    + "p95 \(Self.duration(p95))"
            )
        } else {
            lines.append("No request completed in the period.")
        }
        let confirmed = confirmations
        if confirmed.confirmed + confirmed.failed + confirmed.unconfirmed > 0 {
            lines.append(
                "Deletion jobs, by request: confirmed \(confirmed.confirmed), failed \(confirmed.failed), "
                    + "unconfirmed \(confirmed.unconfirmed)"
            )
            if let p50 = confirmed.secondsToConfirmP50, let p95 = confirmed.secondsToConfirmP95 {
                lines.append(
                    "Time from submitted_at to confirmation, confirmed requests: p50 \(Self.duration(p50)), "
                        + "p95 \(Self.duration(p95))"
                )
            }
        }
        lines.append("")
        if problems.isEmpty {
            lines.append("No request failed or was rejected.")
        } else {
            lines.append("Failed and rejected requests:")
            for problem in problems {
                let id = problem.requestID ?? "(no request id; message \(problem.sourceDescription))"
                let code = problem.errorCode ?? "-"
                lines.append("  \(Self.printable(id))  \(problem.status.rawValue)  \(Self.printable(code))")
                for vendor in problem.vendorErrors.keys.sorted() {
                    lines.append("      \(Self.printable(vendor)): \(Self.printable(problem.vendorErrors[vendor]!))")
                }
            }
        }
        if !conflicts.isEmpty {
            lines.append("")
            lines.append("Request ids that stood for more than one request (each request is counted):")
            for conflict in conflicts {
                lines.append(
                    "  \(Self.printable(conflict.requestID))  \(conflict.statuses.map(\.rawValue).joined(separator: ", "))"
                )
            }
        }
        if unverifiedRecordCount > 0 {
            lines.append("")
            lines.append(
                "Records not signed by the relay, never counted: \(unverifiedRecordCount) (topic/partition/offset):"
            )
            for record in unverifiedRecords {
                lines.append(
                    "  \(Self.printable(record.topic))/\(record.partition)/\(record.offset)  \(record.reason.rawValue)"
                )
            }
            if unverifiedRecordCount > unverifiedRecords.count {
                lines.append("  and \(unverifiedRecordCount - unverifiedRecords.count) more")
            }
        }
        lines.append("")
        lines.append("Earliest record still on the topic, by partition:")
        for partition in coverage {
            if let offset = partition.earliestOffset {
                lines.append(
                    "  partition \(partition.partition): offset \(offset), "
                        + "\(partition.earliestTimestamp?.rfc3339 ?? "no timestamp")"
                )
            } else {
                lines.append(
                    "  partition \(partition.partition): no record"
                        + (partition.recordsRemoved ? " (every record it held is gone)" : "")
                )
            }
        }
        lines.append("")
        lines.append(
            "Redelivered or replayed outcomes counted once: \(duplicateOutcomes). "
                + "Records that were not outcomes: \(unreadableRecords)."
        )
        return lines.joined(separator: "\n") + "\n"
    }

    /// What the reader must know before trusting the figures.
    var notices: [(name: String, text: String)] {
        var notices: [(name: String, text: String)] = []
        if !verified {
            notices.append(
                (
                    "not_verified",
                    "no signing key was given (parking.signing_key in --config, or "
                        + "ERASURE_RELAY__PARKING__SIGNING_KEY), so no record's signature was checked and every "
                        + "record is counted as the topic holds it"
                )
            )
        }
        if let incompleteBefore {
            notices.append(
                (
                    "incomplete",
                    "records before \(incompleteBefore.rfc3339) are gone from the topic, and the period starts at "
                        + "\(since.rfc3339)"
                )
            )
        }
        return notices
    }

    /// One table: a row per count (total, regulation, vendor), per percentile, and per failed or rejected request.
    public var csv: String {
        let header = [
            "section", "name", "requests", "completed", "failed", "rejected", "skipped", "completed_before_deadline",
            "seconds", "request_id", "status", "error_code", "vendor_errors", "offset", "timestamp", "text",
        ]
        var rows = [header]
        func row(_ cells: [Int: String]) -> [String] { header.indices.map { cells[$0] ?? "" } }
        func countsRow(_ section: String, _ name: String, _ counts: Counts) -> [String] {
            [section, name] + counts.columns.map(String.init) + Array(repeating: "", count: header.count - 8)
        }
        for notice in notices { rows.append(row([0: "notice", 1: notice.name, 15: notice.text])) }
        rows.append(countsRow("total", "all", total))
        rows += regulations.keys.sorted().map { countsRow("regulation", $0, regulations[$0]!) }
        rows += vendors.keys.sorted().map { countsRow("vendor", $0, vendors[$0]!) }
        for (name, value) in [("p50", completionSecondsP50), ("p95", completionSecondsP95)] {
            rows.append(
                row([0: "completion_seconds", 1: name, 8: value.map { String(format: "%.3f", $0) } ?? ""])
            )
        }
        let confirmationCounts = [
            ("confirmed", confirmations.confirmed), ("failed", confirmations.failed),
            ("unconfirmed", confirmations.unconfirmed),
        ]
        for (name, count) in confirmationCounts { rows.append(row([0: "confirmations", 1: name, 2: "\(count)"])) }
        for (name, value) in [("p50", confirmations.secondsToConfirmP50), ("p95", confirmations.secondsToConfirmP95)] {
            rows.append(
                row([0: "confirmation_seconds", 1: name, 8: value.map { String(format: "%.3f", $0) } ?? ""])
            )
        }
        for problem in problems {
            let vendorErrors = problem.vendorErrors.keys.sorted().map { "\($0): \(problem.vendorErrors[$0]!)" }
            rows.append(
                row([
                    0: "problem", 1: problem.sourceDescription, 9: problem.requestID ?? "",
                    10: problem.status.rawValue, 11: problem.errorCode ?? "", 12: vendorErrors.joined(separator: "; "),
                ])
            )
        }
        for conflict in conflicts {
            rows.append(
                row([
                    0: "conflict", 1: "\(conflict.statuses.count) requests", 9: conflict.requestID,
                    10: conflict.statuses.map(\.rawValue).joined(separator: "; "),
                ])
            )
        }
        for record in unverifiedRecords {
            rows.append(
                row([
                    0: "unverified", 1: "\(record.topic)/\(record.partition)", 10: record.reason.rawValue,
                    13: "\(record.offset)",
                ])
            )
        }
        if unverifiedRecordCount > 0 {
            rows.append(row([0: "unverified_total", 1: "all", 2: "\(unverifiedRecordCount)"]))
        }
        for partition in coverage {
            rows.append(
                row([
                    0: "partition", 1: "\(partition.partition)", 13: partition.earliestOffset.map(String.init) ?? "",
                    14: partition.earliestTimestamp?.rfc3339 ?? "",
                    15: partition.recordsRemoved ? "earlier records removed" : "",
                ])
            )
        }
        return rows.map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Every member is a plain value that always encodes.
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// A cell as spreadsheet tools may open it: control characters escaped, a cell that a spreadsheet would read as
    /// a formula (one that begins with `=`, `+`, `-`, `@`, a tab or a carriage return) prefixed with `'`, as OWASP
    /// advises, and quoted where CSV needs it. A record on the topic may hold anything: `=HYPERLINK(...)` is a
    /// valid request id.
    static func csvField(_ field: String) -> String {
        var field = field
        if let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { field = "'" + field }
        field = printable(field)
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `text` with every control character, line separator and bidirectional override written as `\u{XX}`, so that
    /// a record cannot move the cursor, clear the screen, start a line of its own or reorder what is shown.
    static func printable(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let category = scalar.properties.generalCategory
            let isBidiControl =
                (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
                || scalar.value == 0x200E || scalar.value == 0x200F || scalar.value == 0x061C
            if category == .control || isBidiControl
                || category == .lineSeparator || category == .paragraphSeparator
            {
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    private static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: String(format: "%.1f s", seconds)
        case ..<7200: String(format: "%.1f min", seconds / 60)
        case ..<172_800: String(format: "%.1f h", seconds / 3600)
        default: String(format: "%.1f days", seconds / 86400)
        }
    }
}

extension ComplianceReport.Counts {
    var columns: [Int] { [requests, completed, failed, rejected, skipped, completedBeforeDeadline] }
}

extension ComplianceReport.Problem {
    /// Where the request was read: `topic/partition/offset`.
    var sourceDescription: String { "\(source.topic)/\(source.partition)/\(source.offset)" }
}

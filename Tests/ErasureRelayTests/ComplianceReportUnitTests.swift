import ErasureRelay
import Testing

@Suite("Compliance report from outcomes")
struct ComplianceReportUnitTests {
    static let day: Int64 = 86_400_000

    static func outcome(
        _ id: String?,
        _ status: Outcome.Status,
        regulation: Regulation? = .gdpr,
        submittedDay: Int64 = 0,
        completedDay: Int64,
        deadlineDay: Int64? = 30,
        vendors: [VendorResult] = []
    ) -> Outcome {
        Outcome(
            requestID: id,
            status: status,
            regulation: regulation,
            submittedAt: Timestamp(millisecondsSinceEpoch: submittedDay * day),
            receivedAt: Timestamp(millisecondsSinceEpoch: submittedDay * day + 1000),
            completedAt: Timestamp(millisecondsSinceEpoch: completedDay * day),
            deadline: deadlineDay.map { Timestamp(millisecondsSinceEpoch: $0 * day) },
            vendors: vendors,
            error: status == .completed ? nil : .init(code: "retries_exhausted", field: nil, message: "m"),
            source: .init(topic: "user-erasure", partition: 0, offset: 0)
        )
    }

    @Test func theLatestOutcomeOfARequestWinsAndLateCompletionsAreNotInTime() {
        let failed = VendorResult(vendor: .braze, status: .failed, error: "HTTP 503")
        let accepted = VendorResult(vendor: .braze, status: .accepted)
        let report = ComplianceReport(
            outcomes: [
                Self.outcome("replayed", .failed, completedDay: 2, vendors: [failed]),
                Self.outcome("late", .completed, completedDay: 31, vendors: [accepted]),
                Self.outcome("replayed", .failed, completedDay: 1, vendors: [failed]),
                // Later in the log, whatever the failure above claims of its completion: the replay completed.
                Self.outcome("replayed", .completed, completedDay: 3, vendors: [accepted]),
                Self.outcome(nil, .rejected, regulation: nil, completedDay: 1, deadlineDay: nil),
                Self.outcome(nil, .rejected, regulation: nil, completedDay: 1, deadlineDay: nil),
            ],
            since: Timestamp(millisecondsSinceEpoch: 0),
            until: Timestamp(millisecondsSinceEpoch: 40 * Self.day)
        )
        #expect(report.total.requests == 4)
        #expect(report.total.completed == 2 && report.total.completedBeforeDeadline == 1)
        #expect(report.total.rejected == 2 && report.total.failed == 0)
        #expect(report.duplicateOutcomes == 2)
        #expect(report.regulations["gdpr"]?.requests == 2 && report.regulations["unknown"]?.rejected == 2)
        #expect(report.vendors["braze"]?.completed == 2 && report.vendors["braze"]?.completedBeforeDeadline == 1)
        #expect(report.problems.count == 2 && report.problems.allSatisfy { $0.status == .rejected })
        // Days 3 and 31 from submission: nearest rank.
        #expect(report.completionSecondsP50 == Double(3 * 86_400))
        #expect(report.completionSecondsP95 == Double(31 * 86_400))
    }

    /// The report command folds outcomes in as it reads them: a redelivery replaces what the tally holds for its
    /// request, so the report at any point counts each request once.
    @Test func aTallyFoldsRedeliveriesIntoTheRequestTheyStandFor() {
        var tally = ComplianceReport.Tally()
        let accepted = VendorResult(vendor: .braze, status: .accepted)
        let failed = VendorResult(vendor: .braze, status: .failed, error: "HTTP 503")
        let period = (
            since: Timestamp(millisecondsSinceEpoch: 0), until: Timestamp(millisecondsSinceEpoch: 9 * Self.day)
        )
        for day in 1...5 { tally.add(Self.outcome("r", .failed, completedDay: Int64(day), vendors: [failed])) }
        var report = tally.report(since: period.since, until: period.until)
        #expect(report.total.requests == 1 && report.total.failed == 1 && report.duplicateOutcomes == 4)
        #expect(report.problems.map(\.vendorErrors) == [["braze": "HTTP 503"]])
        tally.add(Self.outcome("r", .completed, completedDay: 6, vendors: [accepted]))
        tally.unreadableRecords += 1
        report = tally.report(since: period.since, until: period.until)
        #expect(tally.outcomes == 6)
        #expect(report.total.requests == 1 && report.total.completed == 1 && report.problems.isEmpty)
        #expect(report.vendors["braze"]?.failed == 0 && report.unreadableRecords == 1)
    }

    @Test func csvQuotesWhatWouldBreakAColumn() {
        let report = ComplianceReport(
            outcomes: [
                Self.outcome(
                    "a,b",
                    .failed,
                    completedDay: 1,
                    vendors: [VendorResult(vendor: .braze, status: .failed, error: #"said "no", twice"#)]
                )
            ],
            since: Timestamp(millisecondsSinceEpoch: 0),
            until: Timestamp(millisecondsSinceEpoch: Self.day)
        )
        let lines = report.csv.split(separator: "\n")
        #expect(lines.first?.split(separator: ",").count == 16)
        #expect(
            lines.last
                == #"problem,user-erasure/0/0,,,,,,,,"a,b",failed,retries_exhausted,"braze: said ""no"", twice",,,"#
        )
    }

    /// Whatever a forged record holds, the report is safe to print and to open in a spreadsheet.
    @Test func controlCharactersAreEscapedAndFormulasNeutralised() {
        let forged = "=HYPERLINK(\"http://x\",\"a\")\u{1B}[2J\r\nfake line\u{202E}"
        let failed = VendorResult(vendor: .braze, status: .failed, error: "-2+3\u{07}")
        let report = ComplianceReport(
            outcomes: [Self.outcome(forged, .failed, completedDay: 1, vendors: [failed])],
            since: Timestamp(millisecondsSinceEpoch: 0),
            until: Timestamp(millisecondsSinceEpoch: 40 * Self.day)
        )
        for output in [report.text, report.csv] {
            #expect(!output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0 == "\r" })
            #expect(!output.unicodeScalars.contains { $0.value == 0x202E })
            #expect(!output.split(separator: "\n").contains { $0.hasPrefix("fake line") })
            #expect(output.contains(#"\u{1B}[2J\u{D}\u{A}fake line\u{202E}"#), "\(output)")
        }
        let problemRow = report.csv.split(separator: "\n").first { $0.hasPrefix("problem,") }
        #expect(problemRow?.contains(#","'=HYPERLINK("#) == true, "\(problemRow ?? "")")
        #expect(problemRow?.contains(#""braze: '-2+3"#) == false, "only a cell's start counts: \(problemRow ?? "")")
        let single = ComplianceReport(
            outcomes: [Self.outcome("-1", .failed, completedDay: 1, vendors: [failed])],
            since: Timestamp(millisecondsSinceEpoch: 0),
            until: Timestamp(millisecondsSinceEpoch: 40 * Self.day)
        ).csv
        #expect(single.contains(",'-1,"), "\(single)")
        #expect(report.json.contains(#"\u001b[2J"#), "JSON stays JSON, escaped by its own rules")
    }

    @Test func aSkippedVendorHasAColumnAndEveryVendorRowAddsUp() {
        let skipped = VendorResult(vendor: .engagelab, status: .skipped)
        let accepted = VendorResult(vendor: .braze, status: .accepted)
        let report = ComplianceReport(
            outcomes: [Self.outcome("r", .completed, completedDay: 1, vendors: [accepted, skipped])],
            since: Timestamp(millisecondsSinceEpoch: 0),
            until: Timestamp(millisecondsSinceEpoch: 40 * Self.day)
        )
        let engagelab = report.vendors["engagelab"]
        #expect(engagelab?.requests == 1 && engagelab?.skipped == 1)
        for (vendor, counts) in report.vendors {
            #expect(counts.requests == counts.completed + counts.failed + counts.rejected + counts.skipped, "\(vendor)")
        }
        #expect(report.text.contains("skipped"))
        #expect(report.csv.split(separator: "\n").first?.contains(",skipped,") == true)
    }

    /// The log decides which outcome is the latest, never a field inside the record: a forged `completed_at` in the
    /// year 9999 does not outlast the outcomes written after it.
    @Test func theLogNotCompletedAtDecidesWhichOutcomeIsTheLatest() {
        let failed = VendorResult(vendor: .braze, status: .failed, error: "HTTP 400")
        let accepted = VendorResult(vendor: .braze, status: .accepted)
        var tally = ComplianceReport.Tally()
        typealias Position = ComplianceReport.Tally.LogPosition
        tally.add(
            Self.outcome("r", .completed, completedDay: 2_900_000, vendors: [accepted]),
            at: Position(partition: 1, offset: 10, timestamp: 1_000)
        )
        tally.add(
            Self.outcome("r", .failed, completedDay: 1, vendors: [failed]),
            at: Position(partition: 1, offset: 11, timestamp: 900)
        )
        let period = (since: Timestamp(millisecondsSinceEpoch: 0), until: Timestamp(millisecondsSinceEpoch: Self.day))
        var report = tally.report(since: period.since, until: period.until)
        #expect(report.total.failed == 1 && report.total.completed == 0, "the later offset wins")
        // Across partitions the broker's timestamp decides; an earlier record read afterwards changes nothing.
        tally.add(
            Self.outcome("r", .completed, completedDay: 2_900_000, vendors: [accepted]),
            at: Position(partition: 0, offset: 99, timestamp: 800)
        )
        report = tally.report(since: period.since, until: period.until)
        #expect(report.total.failed == 1 && report.problems.count == 1)
        tally.add(
            Self.outcome("r", .completed, completedDay: 0, vendors: [accepted]),
            at: Position(partition: 2, offset: 0, timestamp: 2_000)
        )
        report = tally.report(since: period.since, until: period.until)
        #expect(report.total.completed == 1 && report.problems.isEmpty)
    }

    /// Two requests under one id are told apart by their digests: each counts, and the conflict is listed.
    @Test func aRequestIDWithTwoDigestsIsAConflictAndEachRequestCounts() {
        var tally = ComplianceReport.Tally()
        typealias Position = ComplianceReport.Tally.LogPosition
        var first = Self.outcome(
            "r",
            .failed,
            completedDay: 1,
            vendors: [VendorResult(vendor: .braze, status: .failed)]
        )
        first.requestDigest = "a"
        var second = Self.outcome(
            "r",
            .completed,
            completedDay: 1,
            vendors: [VendorResult(vendor: .braze, status: .accepted)]
        )
        second.requestDigest = "b"
        tally.add(first, at: Position(partition: 0, offset: 0, timestamp: 1))
        tally.add(second, at: Position(partition: 0, offset: 1, timestamp: 2))
        tally.add(second, at: Position(partition: 0, offset: 2, timestamp: 3))
        let report = tally.report(
            since: Timestamp(millisecondsSinceEpoch: 0),
            until: Timestamp(millisecondsSinceEpoch: Self.day)
        )
        #expect(report.total.requests == 2 && report.total.failed == 1 && report.total.completed == 1)
        #expect(report.conflicts == [ComplianceReport.Conflict(requestID: "r", statuses: [.failed, .completed])])
        #expect(report.duplicateOutcomes == 1)
        #expect(report.problems.map(\.requestID) == ["r"])
    }

    /// A partition that lost records from its start leaves a period reaching before its earliest record incomplete;
    /// one that never lost any is complete however far back the period reaches.
    @Test func coverageSaysWhenAPeriodReachesBeforeTheEarliestRecord() {
        let since = Timestamp(millisecondsSinceEpoch: 1_000)
        let kept = ComplianceReport.PartitionCoverage(
            partition: 0,
            earliestOffset: 0,
            earliestTimestamp: .init(millisecondsSinceEpoch: 5_000),
            recordsRemoved: false
        )
        let trimmedLater = ComplianceReport.PartitionCoverage(
            partition: 1,
            earliestOffset: 7,
            earliestTimestamp: .init(millisecondsSinceEpoch: 3_000),
            recordsRemoved: true
        )
        let trimmedEarlier = ComplianceReport.PartitionCoverage(
            partition: 2,
            earliestOffset: 7,
            earliestTimestamp: .init(millisecondsSinceEpoch: 500),
            recordsRemoved: true
        )
        let emptied = ComplianceReport.PartitionCoverage(
            partition: 3,
            earliestOffset: nil,
            earliestTimestamp: nil,
            recordsRemoved: true
        )
        #expect(!kept.isIncomplete(since: since) && !trimmedEarlier.isIncomplete(since: since))
        #expect(trimmedLater.isIncomplete(since: since) && emptied.isIncomplete(since: since))
        var report = ComplianceReport(outcomes: [], since: since, until: Timestamp(millisecondsSinceEpoch: 9_000))
        report.coverage = [kept, trimmedEarlier]
        #expect(report.incompleteBefore == nil)
        report.coverage = [kept, trimmedLater, trimmedEarlier]
        #expect(report.incompleteBefore == Timestamp(millisecondsSinceEpoch: 3_000))
        #expect(report.text.contains("INCOMPLETE: records before \(Timestamp(millisecondsSinceEpoch: 3_000).rfc3339)"))
        report.coverage.append(emptied)
        #expect(report.incompleteBefore == report.until, "a partition that lost every record loses the whole period")
    }
}

@Suite("The compliance report's confirmations")
struct ComplianceReportConfirmationTests {
    private func confirmation(
        _ id: String,
        _ status: ErasureConfirmation.Status,
        afterSeconds: Int64
    ) -> ErasureConfirmation {
        let submitted = Timestamp(millisecondsSinceEpoch: 1_000_000)
        let followUp = JobFollowUp(
            requestID: id,
            requestDigest: "ab\(id)",
            regulation: .gdpr,
            submittedAt: submitted,
            completedAt: submitted,
            source: .init(topic: "user-erasure", partition: 0, offset: 0),
            jobs: [
                FollowedJob(
                    vendor: VendorID(rawValue: "segment")!,
                    jobID: "job-\(id)",
                    state: status == .confirmed ? .confirmed : status == .failed ? .failed : .unconfirmed,
                    nextCheckAt: submitted,
                    giveUpAt: submitted
                )
            ]
        )
        return ErasureConfirmation(followUp, confirmedAt: submitted.adding(seconds: afterSeconds))
    }

    /// Each request counts once, by its latest confirmation in the log; only confirmed requests time the wait.
    @Test func eachRequestCountsOnceByItsLatestConfirmation() {
        var tally = ComplianceReport.Tally()
        tally.add(confirmation("a", .unconfirmed, afterSeconds: 50))
        tally.add(confirmation("a", .confirmed, afterSeconds: 100))
        tally.add(confirmation("b", .failed, afterSeconds: 10))
        tally.add(confirmation("c", .confirmed, afterSeconds: 300))
        let report = tally.report(since: .now(), until: .now())
        #expect(report.confirmations.confirmed == 2)
        #expect(report.confirmations.failed == 1)
        #expect(report.confirmations.unconfirmed == 0)
        #expect(report.confirmations.secondsToConfirmP50 == 100)
        #expect(report.confirmations.secondsToConfirmP95 == 300)
        #expect(report.text.contains("confirmed 2, failed 1, unconfirmed 0"))
        #expect(report.csv.contains("confirmations,failed,1"))
    }

    /// A vendor's jobs are confirmed only when every one of them said done; one failure fails the request.
    @Test func aConfirmationIsConfirmedOnlyWhenEveryJobSaidDone() {
        let now = Timestamp(millisecondsSinceEpoch: 5_000)
        let vendor = VendorID(rawValue: "segment")!
        func job(_ state: FollowedJob.State) -> FollowedJob {
            FollowedJob(vendor: vendor, jobID: "j", state: state, nextCheckAt: now, giveUpAt: now)
        }
        func status(_ states: [FollowedJob.State]) -> ErasureConfirmation.Status {
            let followUp = JobFollowUp(
                requestID: "r",
                requestDigest: nil,
                regulation: .ccpa,
                submittedAt: nil,
                completedAt: now,
                source: .init(topic: "t", partition: 0, offset: 0),
                jobs: states.map(job)
            )
            return ErasureConfirmation(followUp, confirmedAt: now).status
        }
        #expect(status([.confirmed, .confirmed]) == .confirmed)
        #expect(status([.confirmed, .unconfirmed]) == .unconfirmed)
        #expect(status([.unconfirmed, .failed, .confirmed]) == .failed)
        #expect(status([.confirmed, .following]) == .unconfirmed)
    }
}

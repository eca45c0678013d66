import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Testing
import VendorSandbox

/// `erasure-relay report` on an outcome topic the relay itself wrote, with known counts: completions by regulation
/// and vendor, a failure and a rejection with their codes, a redelivered request counted once, and `--since`.
@Suite("Compliance report", .serialized, .timeLimit(.minutes(3)))
struct ComplianceReportTests {
    let logger = TestLogs.logger(label: "report")

    @Test func reportsTheOutcomesTheRelayWroteWithKnownCounts() async throws {
        let collector = OutcomeCollector()
        let completed =
            (0..<4).map { requestJSON(id: "gdpr-\($0)", subject: Self.subject($0), vendors: ["braze", "engagelab"]) }
            + (4..<6).map {
                requestJSON(
                    id: "ccpa-\($0)",
                    regulation: "ccpa",
                    subject: Self.subject($0),
                    vendors: ["braze", "engagelab"]
                )
            }
        try await withRelayTestbed(partitions: 2, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            var since = Timestamp(millisecondsSinceEpoch: 0)
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: collector
            ) {
                // Braze refuses the first request's only identifier outright: the request fails.
                await testbed.sandbox.inject(.status(400), into: .braze)
                let failing = requestJSON(id: "fails", subject: ["external_id": "u-fails"], vendors: ["braze"])
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", lines: [failing])
                _ = try await collector.wait(for: 1)
                // Everything from here on is within `since`; the failure above is not.
                since = Timestamp.now().adding(milliseconds: 1)
                while Timestamp.now() <= since { await Task.yield() }
                // The first completed request arrives twice, as after a redelivery.
                try await Kcat.produce(
                    bootstrap: bootstrap,
                    topic: "user-erasure",
                    lines: completed + ["{not json", completed[0]]
                )
                _ = try await collector.wait(for: 9)
            }
            #expect(collector.all.first?.status == .failed)
            let configPath = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID()).yaml").path
            try
                "kafka: { bootstrap_servers: \"\(bootstrap)\" }\nparking: { signing_key: \"\(testSigningKeys[0].value)\" }\n"
                .write(
                    toFile: configPath,
                    atomically: true,
                    encoding: .utf8
                )
            defer { try? FileManager.default.removeItem(atPath: configPath) }

            let whole = try await Self.report(config: configPath, since: "1d", format: "json")
            let total = try #require(whole["total"] as? [String: Int])
            #expect(
                total == [
                    "requests": 8, "completed": 6, "failed": 1, "rejected": 1, "skipped": 0,
                    "completed_before_deadline": 6,
                ]
            )
            let regulations = try #require(whole["regulations"] as? [String: [String: Int]])
            #expect(
                regulations["gdpr"] == [
                    "requests": 5, "completed": 4, "failed": 1, "rejected": 0, "skipped": 0,
                    "completed_before_deadline": 4,
                ]
            )
            #expect(
                regulations["ccpa"] == [
                    "requests": 2, "completed": 2, "failed": 0, "rejected": 0, "skipped": 0,
                    "completed_before_deadline": 2,
                ]
            )
            #expect(regulations["unknown"]?["rejected"] == 1)
            let vendors = try #require(whole["vendors"] as? [String: [String: Int]])
            #expect(
                vendors["braze"] == [
                    "requests": 7, "completed": 6, "failed": 1, "rejected": 0, "skipped": 0,
                    "completed_before_deadline": 6,
                ]
            )
            #expect(vendors["engagelab"]?["completed"] == 6)
            // Every vendor row adds up, skipped vendors included.
            for (vendor, counts) in vendors {
                let parts = ["completed", "failed", "rejected", "skipped"].map { counts[$0] ?? -1 }
                #expect(counts["requests"] == parts.reduce(0, +), "\(vendor): \(counts)")
            }
            #expect(whole["duplicate_outcomes"] as? Int == 1)
            // Measured from submitted_at (2026-11-22T10:00:00Z), not from when the relay read the request.
            let submitted = try #require(Timestamp(rfc3339: "2026-11-22T10:00:00Z"))
            let sinceSubmitted =
                Double(Timestamp.now().millisecondsSinceEpoch - submitted.millisecondsSinceEpoch) / 1000
            let p95 = try #require(whole["completion_seconds_p95"] as? Double)
            #expect(p95 <= sinceSubmitted && p95 > sinceSubmitted - 300)
            let problems = try #require(whole["problems"] as? [[String: Any]])
            #expect(problems.count == 2)
            let failure = try #require(problems.first { $0["request_id"] as? String == "fails" })
            #expect(failure["error_code"] as? String == "vendor_failed")
            #expect((failure["vendor_errors"] as? [String: String])?["braze"]?.contains("HTTP 400") == true)
            #expect(problems.contains { $0["request_id"] is NSNull && $0["error_code"] as? String == "invalid_json" })

            // Outcomes written before --since are left out. (The embedded broker cannot look offsets up by time;
            // the reader checks each record's timestamp.)
            let recent = try await OutcomeTopicReader.tally(
                kafka: .init(bootstrapServers: bootstrap),
                topic: "user-erasure-outcomes",
                since: since,
                signer: RecordSigner(keys: testSigningKeys),
                logger: logger
            )
            #expect(recent.outcomes == 8)
            #expect(!recent.report(since: since, until: .now()).problems.contains { $0.requestID == "fails" })

            let text = try await Self.reportText(config: configPath, since: "1d", format: "text")
            #expect(text.contains("vendor_failed") && text.contains("invalid_json"))
            let csv = try await Self.reportText(config: configPath, since: "1d", format: "csv")
            #expect(csv.split(separator: "\n").contains("total,all,8,6,1,1,0,6,,,,,,,,"))
            for output in [text, csv] {
                #expect(!output.contains("u-"), "the report holds an identifier")
            }
        }
    }

    static func subject(_ index: Int) -> [String: Any] {
        ["external_id": "u-\(index)", "engagelab_registration_ids": ["reg-u-\(index)"]]
    }

    static func reportText(config: String, since: String, format: String) async throws -> String {
        let (status, output) = try await runReport(["--config", config, "--since", since, "--format", format])
        #expect(status == 0, "report failed: \(output)")
        return output
    }

    /// Runs `erasure-relay report` with `arguments`: its exit status and standard output (standard error when it
    /// printed nothing).
    static func runReport(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = try ChildProcess(erasureRelayExecutable(), ["report"] + arguments)
        let status = try await process.waitForExit(timeout: .seconds(120))
        return (status, process.standardOutput.isEmpty ? process.standardError : process.standardOutput)
    }

    static func report(config: String, since: String, format: String) async throws -> [String: Any] {
        let output = try await reportText(config: config, since: since, format: format)
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }
}

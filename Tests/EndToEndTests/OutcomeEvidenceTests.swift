import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Testing

/// The outcome topic as evidence: records the relay did not sign are listed apart and never counted, a request id
/// reused for another request is a conflict with both counted, `report --request-id` tells one request's story, and
/// a period reaching before what the topic still holds is called incomplete. Forged records are written by kcat,
/// as anyone with write access to the topic could.
@Suite("Outcome evidence", .serialized, .timeLimit(.minutes(4)))
struct OutcomeEvidenceTests {
    let logger = TestLogs.logger(label: "evidence")

    /// A configuration the report reads: the brokers and the relay's signing key.
    static func reportConfiguration(_ bootstrap: String) -> String {
        "kafka: { bootstrap_servers: \"\(bootstrap)\" }\nparking: { signing_key: \"\(testSigningKeys[0].value)\" }\n"
    }

    static func forgedOutcome(id: String, status: String, completedAt: String = "9999-12-31T23:59:59Z") -> String {
        """
        {"completed_at":"\(completedAt)","deadline":"9999-12-31T23:59:59Z","error":null,\
        "received_at":"2026-11-22T10:00:00Z","regulation":"gdpr","request_id":"\(id)",\
        "source":{"offset":0,"partition":0,"topic":"user-erasure"},"status":"\(status)",\
        "submitted_at":"2026-11-22T10:00:00Z","vendors":[{"attempts":1,"error":null,"http_status":200,\
        "identifiers":1,"reference":null,"status":"accepted","vendor":"braze"}]}
        """
    }

    @Test func recordsTheRelayDidNotSignAreListedApartNeverCountedAndTheExitCodeSaysSo() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: collector
            ) {
                await testbed.sandbox.inject(.status(400), into: .braze)
                try await Kcat.produce(
                    bootstrap: bootstrap,
                    topic: "user-erasure",
                    lines: [requestJSON(id: "victim", subject: ["external_id": "u-victim"], vendors: ["braze"])]
                )
                _ = try await collector.wait(for: 1)
            }
            #expect(collector.all.map(\.status) == [.failed])
            // Three forgeries that would turn the failure into a completion: unsigned, a signature of hex zeros,
            // and one made with another key. A fourth is built to attack whoever opens the output.
            let attacker = RecordSigner(keys: [Secret("an-attacker-key-0123456789abcdef01234")])
            let forged = Self.forgedOutcome(id: "victim", status: "completed")
            let attackersSignature = attacker.signing(value: Array(forged.utf8), headers: [])[0]
            try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure-outcomes", lines: [forged])
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                headers: [(RecordSigner.header, "v1=" + String(repeating: "0", count: 64))],
                lines: [forged]
            )
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                headers: [(RecordSigner.header, String(decoding: attackersSignature.value, as: UTF8.self))],
                lines: [forged]
            )
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                lines: [Self.forgedOutcome(id: "=HYPERLINK(\\\"http://x\\\")\\u001b[2J", status: "completed")]
            )

            try await withConfigFile(Self.reportConfiguration(bootstrap)) { config in
                let (status, output) = try await ComplianceReportTests.runReport(
                    ["--config", config, "--since", "1d", "--format", "json"]
                )
                #expect(status == 3, "\(output)")
                let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
                let total = try #require(report["total"] as? [String: Int])
                #expect(total["requests"] == 1 && total["failed"] == 1 && total["completed"] == 0, "\(total)")
                let problems = try #require(report["problems"] as? [[String: Any]])
                #expect(problems.map { $0["request_id"] as? String } == ["victim"])
                #expect(report["verified"] as? Bool == true)
                #expect(report["unverified_record_count"] as? Int == 4)
                let listed = try #require(report["unverified_records"] as? [[String: Any]])
                #expect(listed.map { $0["offset"] as? Int } == [1, 2, 3, 4])
                #expect(
                    listed.map { $0["reason"] as? String } == [
                        "unsigned", "bad_signature", "bad_signature", "unsigned",
                    ]
                )
                #expect(
                    listed.allSatisfy {
                        $0["topic"] as? String == "user-erasure-outcomes" && $0["partition"] as? Int == 0
                    }
                )

                let (textStatus, text) = try await ComplianceReportTests.runReport([
                    "--config", config, "--since", "1d",
                ])
                #expect(textStatus == 3)
                #expect(text.contains("Records not signed by the relay, never counted: 4"))
                #expect(text.contains("user-erasure-outcomes/0/1  unsigned"))
                #expect(!text.contains("\u{1B}") && !text.contains("HYPERLINK"), "a forged record reached the output")
                let (csvStatus, csv) = try await ComplianceReportTests.runReport(
                    ["--config", config, "--since", "1d", "--format", "csv"]
                )
                #expect(csvStatus == 3)
                #expect(
                    csv.split(separator: "\n").contains("unverified,user-erasure-outcomes/0,,,,,,,,,unsigned,,,1,,")
                )
            }

            // Without a key nothing can be checked: the report counts what the topic holds and says so first.
            try await withConfigFile("kafka: { bootstrap_servers: \"\(bootstrap)\" }\n") { config in
                let (status, text) = try await ComplianceReportTests.runReport(["--config", config, "--since", "1d"])
                #expect(status == 0)
                #expect(
                    text.split(separator: "\n").dropFirst().first?.hasPrefix("NOT VERIFIED: no signing key") == true,
                    "\(text)"
                )
            }
        }
    }

    @Test func aRequestIDReusedForAnotherRequestIsAConflictAndEachRequestCounts() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 2, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let first = requestJSON(id: "shared-id", subject: ["external_id": "u-first"], vendors: ["braze"])
            let second = requestJSON(id: "shared-id", subject: ["external_id": "u-second"], vendors: ["braze"])
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: collector
            ) {
                await testbed.sandbox.inject(.status(400), into: .braze)
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", lines: [first])
                _ = try await collector.wait(for: 1)
                // The second request reuses the id for another person; then it is delivered again.
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", lines: [second])
                _ = try await collector.wait(for: 2)
                try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", lines: [second])
                _ = try await collector.wait(for: 3)
            }
            #expect(collector.all.map(\.status) == [.failed, .completed, .completed])
            let digests = collector.all.map(\.requestDigest)
            #expect(digests[0] != nil && digests[0] != digests[1] && digests[1] == digests[2])
            for digest in digests.compactMap({ $0 }) {
                #expect(digest.count == 64 && !digest.contains("u-"))
            }
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                lines: [Self.forgedOutcome(id: "shared-id", status: "completed")]
            )

            try await withConfigFile(Self.reportConfiguration(bootstrap)) { config in
                let (_, output) = try await ComplianceReportTests.runReport(
                    ["--config", config, "--since", "1d", "--format", "json"]
                )
                let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
                let total = try #require(report["total"] as? [String: Int])
                #expect(total["requests"] == 2 && total["failed"] == 1 && total["completed"] == 1, "\(total)")
                #expect(report["duplicate_outcomes"] as? Int == 1)
                let conflicts = try #require(report["conflicts"] as? [[String: Any]])
                #expect(conflicts.count == 1)
                #expect(conflicts.first?["request_id"] as? String == "shared-id")
                #expect(conflicts.first?["statuses"] as? [String] == ["failed", "completed"])
                let problems = try #require(report["problems"] as? [[String: Any]])
                #expect(problems.map { $0["request_id"] as? String } == ["shared-id"])

                let (status, history) = try await ComplianceReportTests.runReport(
                    ["--config", config, "--since", "1d", "--request-id", "shared-id"]
                )
                #expect(status == 3, "the history holds a record the relay did not sign")
                #expect(history.hasPrefix("Outcome records of request shared-id: 4"), "\(history)")
                #expect(history.contains("Conflict: this request id stood for 2 different requests"))
                #expect(history.components(separatedBy: "status failed").count == 2)
                #expect(history.components(separatedBy: "status completed").count == 4)
                #expect(history.contains("UNSIGNED: NOT WRITTEN BY THE RELAY, NOT COUNTED"))
                #expect(!history.contains("u-first") && !history.contains("u-second"))
                let (_, json) = try await ComplianceReportTests.runReport(
                    ["--config", config, "--since", "1d", "--request-id", "shared-id", "--format", "json"]
                )
                let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                #expect(parsed["request_count"] as? Int == 2)
                #expect((parsed["entries"] as? [Any])?.count == 4)
            }
        }
    }

    @Test func aPeriodReachingBeforeTheEarliestRecordStillOnTheTopicIsCalledIncomplete() async throws {
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            try await withConfigFile(Self.reportConfiguration(bootstrap)) { config in
                // A topic that lost nothing is complete however far back the period reaches.
                try await Kcat.produce(
                    bootstrap: bootstrap,
                    topic: "user-erasure-outcomes",
                    lines: [Self.forgedOutcome(id: "early", status: "completed")]
                )
                let (status, text) = try await ComplianceReportTests.runReport(["--config", config, "--since", "30d"])
                #expect(status == 3)
                #expect(!text.contains("INCOMPLETE"))
                #expect(text.contains("partition 0: offset 0, "))

                // The embedded broker keeps about 5 MB a partition and drops the oldest records beyond it, as
                // retention would: 6 MB of signed filler pushes the start of the log past offset 0.
                let filler = String(repeating: "x", count: 200_000)
                let signature = RecordSigner(keys: testSigningKeys).signing(value: Array(filler.utf8), headers: [])[0]
                try await Kcat.produce(
                    bootstrap: bootstrap,
                    topic: "user-erasure-outcomes",
                    headers: [(RecordSigner.header, String(decoding: signature.value, as: UTF8.self))],
                    lines: Array(repeating: filler, count: 30)
                )
                let (lostStatus, lost) = try await ComplianceReportTests.runReport(
                    ["--config", config, "--since", "30d", "--format", "json"]
                )
                #expect(lostStatus == 4, "\(lost.prefix(2000))")
                let report = try #require(try JSONSerialization.jsonObject(with: Data(lost.utf8)) as? [String: Any])
                let coverage = try #require((report["coverage"] as? [[String: Any]])?.first)
                let earliestOffset = try #require(coverage["earliest_offset"] as? Int)
                #expect(earliestOffset > 1 && coverage["records_removed"] as? Bool == true)
                let earliest = try #require(coverage["earliest_timestamp"] as? String)
                #expect(report["incomplete_before"] as? String == earliest)
                // The forged record fell off with the rest: nothing unverified is left.
                #expect(report["unverified_record_count"] as? Int == 0)
                let (_, lostText) = try await ComplianceReportTests.runReport(["--config", config, "--since", "30d"])
                #expect(
                    lostText.contains("INCOMPLETE: records before \(earliest) are gone from the topic"),
                    "\(lostText.prefix(2000))"
                )
            }
        }
    }
}

/// `outcomes.require_retention: true` refuses to start unless the outcome topic is shown to keep the record. The
/// embedded broker cannot describe a topic's configuration, so the retention there is unknown: the relay refuses,
/// naming the key and the reason. The judgement of configurations a real cluster gives is tested on its own
/// (`OutcomeRetentionTests`).
@Suite("Outcome retention at start", .timeLimit(.minutes(2)))
struct OutcomeRetentionStartTests {
    let logger = TestLogs.logger(label: "retention")

    @Test func aRelayThatMustProveItsRetentionRefusesToStartWhenItCannot() async throws {
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            var configuration = testbed.configuration
            configuration.outcomes.requireRetention = true
            let relay = RelayApplication(
                configuration: configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger
            )
            do {
                try await relay.run()
                Issue.record("the relay started without knowing the outcome topic's retention")
            } catch let error as ConfigurationError {
                #expect(error.key == "outcomes.require_retention")
                #expect(error.message.contains("could not be read"), "\(error.message)")
            }
            #expect(!relay.health.isReady)
        }
    }
}

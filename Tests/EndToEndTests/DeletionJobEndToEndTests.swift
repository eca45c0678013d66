import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("Deletion jobs end to end", .serialized, .timeLimit(.minutes(3)))
struct DeletionJobEndToEndTests {
    let logger = TestLogs.logger(label: "jobs")

    /// A record of the outcome topic: an outcome, or a request's confirmation.
    private enum OutcomeTopicRecord {
        case outcome(Outcome)
        case confirmation(ErasureConfirmation)

        init(_ message: KafkaMessage) throws {
            let data = Data(message.value)
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            if object["type"] as? String == ErasureConfirmation.type {
                self = .confirmation(try JSONDecoder().decode(ErasureConfirmation.self, from: data))
            } else {
                self = .outcome(try JSONDecoder().decode(Outcome.self, from: data))
            }
        }
    }

    /// The vendor of `examples/vendors/FILE` with a check every second and one job per request, and its stand-in
    /// written from the vendor's documentation (Segment's, Mixpanel's), or else the one built from the definition.
    private func jobVendor(_ file: String = "segment.yaml") throws -> (VendorID, VendorSettings, DeclaredStandIn) {
        var (vendor, settings) = try exampleVendor(file)
        var definition = try #require(settings.account as? HTTPVendorDefinition)
        definition.job?.checkEverySeconds = 1
        definition.job?.giveUpAfterSeconds = 120
        settings.account = definition
        settings.batching.maxSize = 1
        settings.rateLimits = [.init(requests: 50, windowSeconds: 1)]
        var standIn: DeclaredStandIn =
            switch file {
            case "segment.yaml": .segment(token: sandboxCredential("SEGMENT_PUBLIC_API_TOKEN"))
            case "mixpanel.yaml":
                .mixpanel(
                    projectToken: sandboxCredential("MIXPANEL_PROJECT_TOKEN"),
                    oauthToken: sandboxCredential("MIXPANEL_GDPR_OAUTH_TOKEN")
                )
            default: try #require(DeclaredStandIn(vendor: vendor, settings: settings))
            }
        standIn.quota = .init(requests: 50, windowSeconds: 1)
        return (vendor, settings, standIn)
    }

    /// Three requests whose jobs run, then finish or fail. The relay is stopped while the jobs are still being
    /// followed and started again: the jobs, kept on the jobs topic alone, are taken up where they were, each status
    /// call is made once, and each request gets its `completed` outcome with its job's id, then one confirmation.
    @Test func jobsAreFollowedAcrossARestartToOneConfirmationEach() async throws {
        let (vendor, settings, standIn) = try jobVendor()
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.declared = [standIn]
        let subjects = ["job-runs-4-alice", "job-fails-bob", "carol"]
        try await withRelayTestbed(partitions: 2, sandbox: sandboxConfiguration, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let configuration = try await testbed.configuration(declaring: vendor, settings)
            let checks = { await jobChecks(at: vendor, in: testbed) }
            let collector = OutcomeCollector()
            try await withRelay(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: collector
            ) {
                try await sendRequests(erasing: subjects, to: bootstrap)
                _ = try await collector.wait(for: subjects.count)
                // Stopped once a job has been checked and before the longest-running one can have ended.
                try await waitUntil("a first status check") { await checks() >= 1 }
            }
            let checkedBeforeRestart = await checks()
            #expect(checkedBeforeRestart < 8, "the relay stopped while jobs were still followed")
            let records = try await withRelay(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: OutcomeCollector()
            ) {
                try await TopicReader.read(
                    bootstrap: bootstrap,
                    topic: "user-erasure-outcomes",
                    count: 6,
                    logger: logger
                )
            }
            var outcomes: [String: Outcome] = [:]
            var confirmations: [String: [ErasureConfirmation]] = [:]
            for message in records {
                #expect(testSigner.isValid(value: message.value, headers: message.headers))
                switch try OutcomeTopicRecord(message) {
                case .outcome(let outcome): outcomes[outcome.requestID ?? "-"] = outcome
                case .confirmation(let confirmation):
                    confirmations[confirmation.requestID, default: []].append(confirmation)
                }
            }
            #expect(outcomes.count == 3)
            #expect(outcomes.values.allSatisfy { $0.status == .completed && $0.vendors[0].reference != nil })
            #expect(confirmations.mapValues(\.count) == ["r-0": 1, "r-1": 1, "r-2": 1])
            let status = confirmations.mapValues { $0[0].status }
            #expect(status == ["r-0": .confirmed, "r-1": .failed, "r-2": .confirmed])
            for (id, confirmation) in confirmations.mapValues({ $0[0] }) {
                // The confirmation names the job the outcome named.
                #expect(confirmation.vendors.map(\.jobIDs) == [[try #require(outcomes[id]?.vendors[0].reference)]])
            }
            #expect(confirmations["r-1"]?[0].vendors[0].error == "the vendor reports the job FAILED")
            // alice: four running, then done; bob: one running, then failed; carol: one running, then done.
            #expect(await checks() == 5 + 2 + 2, "no status call was made twice")
            // Each confirmation has exactly the members its schema in deploy/schemas requires.
            let schema = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(
                        contentsOf: packageRoot().appendingPathComponent("deploy/schemas/erasure-confirmation.json")
                    )
                ) as? [String: Any]
            )
            let vendorSchema = try #require(
                ((schema["properties"] as? [String: Any])?["vendors"] as? [String: Any])?["items"] as? [String: Any]
            )
            for message in records {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any])
                guard object["type"] != nil else { continue }
                #expect(Set(object.keys) == Set(try #require(schema["required"] as? [String])))
                for vendor in try #require(object["vendors"] as? [[String: Any]]) {
                    #expect(Set(vendor.keys) == Set(try #require(vendorSchema["required"] as? [String])))
                }
            }
            let written = records.map { String(decoding: $0.value, as: UTF8.self) }.joined()
            for subject in subjects { #expect(!written.contains(subject)) }
            // The compliance report counts each request's confirmation, and takes none for a record it cannot read.
            let report = try await OutcomeTopicReader.tally(
                kafka: .init(bootstrapServers: bootstrap),
                topic: "user-erasure-outcomes",
                since: Timestamp(millisecondsSinceEpoch: 0),
                signer: testSigner,
                logger: logger
            ).report(since: Timestamp(millisecondsSinceEpoch: 0), until: .now())
            #expect(report.total.completed == 3)
            #expect(report.unreadableRecords == 0)
            #expect(report.confirmations.confirmed == 2)
            #expect(report.confirmations.failed == 1)
            #expect(report.confirmations.unconfirmed == 0)
            #expect((report.confirmations.secondsToConfirmP95 ?? 0) > 0)
            // A request's history shows its outcome, then its confirmation.
            var history = RequestHistory(requestID: "r-1")
            _ = try await OutcomeTopicReader.read(
                kafka: .init(bootstrapServers: bootstrap),
                topic: "user-erasure-outcomes",
                since: Timestamp(millisecondsSinceEpoch: 0),
                signer: testSigner,
                logger: logger
            ) { history.add($0, verified: true) }
            history.sort()
            #expect(history.entries.map(\.outcome.status) == [.completed])
            #expect(history.confirmations.map(\.confirmation.status) == [.failed])
            #expect(history.text.contains("confirmation failed"))
        }
    }

    /// A job that keeps running past `give_up_after_seconds` ends `unconfirmed`, never confirmed; and a record
    /// written to the jobs topic by anyone but the relay, claiming a job done, is rejected and confirms nothing.
    @Test func aJobThatNeverEndsIsUnconfirmedAndAForgedJobRecordConfirmsNothing() async throws {
        var (vendor, settings, standIn) = try jobVendor()
        var definition = try #require(settings.account as? HTTPVendorDefinition)
        definition.job?.giveUpAfterSeconds = 3
        settings.account = definition
        standIn.quota = .init(requests: 50, windowSeconds: 1)
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.declared = [standIn]
        try await withRelayTestbed(partitions: 2, sandbox: sandboxConfiguration, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let configuration = try await testbed.configuration(declaring: vendor, settings)
            let now = Timestamp.now()
            let forged = JobFollowUp(
                requestID: "forged",
                requestDigest: nil,
                regulation: .gdpr,
                submittedAt: now,
                completedAt: now,
                source: .init(topic: "user-erasure", partition: 0, offset: 0),
                jobs: [
                    FollowedJob(vendor: vendor, jobID: "sandbox-1", state: .confirmed, nextCheckAt: now, giveUpAt: now)
                ]
            )
            let records = try await withRelay(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: OutcomeCollector()
            ) {
                try await sendRequests(erasing: ["job-runs-1000-dave"], to: bootstrap)
                try await Kcat.produce(
                    bootstrap: bootstrap,
                    topic: "user-erasure-jobs",
                    lines: [String(decoding: forged.jsonBytes(), as: UTF8.self)]
                )
                return try await TopicReader.read(
                    bootstrap: bootstrap,
                    topic: "user-erasure-outcomes",
                    count: 3,
                    logger: logger
                ).map(OutcomeTopicRecord.init)
            }
            var confirmations: [ErasureConfirmation] = []
            var outcomes: [Outcome] = []
            for record in records {
                switch record {
                case .outcome(let outcome): outcomes.append(outcome)
                case .confirmation(let confirmation): confirmations.append(confirmation)
                }
            }
            #expect(confirmations.map(\.requestID) == ["r-0"])
            #expect(confirmations.first?.status == .unconfirmed)
            #expect(
                confirmations.first?.vendors.first?.error?.hasPrefix(
                    "no status check said done or failed within give_up_after_seconds"
                ) == true
            )
            #expect(Set(outcomes.map(\.status)) == [.completed, .rejected])
            #expect(outcomes.first { $0.status == .rejected }?.error?.code == "invalid_signature")
            #expect(outcomes.allSatisfy { $0.requestID != "forged" })
        }
    }

    /// Two replicas in one group share the jobs as they share requests: each request's jobs are followed by the one
    /// replica that holds its jobs partition, so every status call is made once, and every request gets exactly one
    /// confirmation.
    @Test func twoReplicasFollowEachJobOnce() async throws {
        let (vendor, settings, standIn) = try jobVendor()
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.declared = [standIn]
        let subjects = (0..<8).map { $0 % 4 == 3 ? "job-fails-\($0)" : "job-runs-2-\($0)" }
        try await withRelayTestbed(partitions: 2, sandbox: sandboxConfiguration, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let configuration = try await testbed.configuration(declaring: vendor, settings)
            let (first, second) = (LogCapture(), LogCapture())
            try await withRelay(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: first.logger(label: "first"),
                collector: OutcomeCollector()
            ) {
                try await first.wait(forLineContaining: ErasureRelayService.readyMessage)
                try await withRelay(
                    configuration: configuration,
                    bootstrapServers: bootstrap,
                    logger: second.logger(label: "second"),
                    collector: OutcomeCollector()
                ) {
                    // Both in the group, and the first given its share again: no rebalance from here on.
                    try await second.wait(forLineContaining: ErasureRelayService.readyMessage)
                    try await waitUntil("the first replica's second assignment") {
                        first.all.filter { $0.contains("Partitions assigned") }.count >= 2
                    }
                    try await sendRequests(erasing: subjects, to: bootstrap)
                    _ = try await TopicReader.read(
                        bootstrap: bootstrap,
                        topic: "user-erasure-outcomes",
                        count: 2 * subjects.count,
                        logger: logger
                    )
                }
            }
            var confirmations: [String: [ErasureConfirmation.Status]] = [:]
            _ = try await OutcomeTopicReader.read(
                kafka: .init(bootstrapServers: bootstrap),
                topic: "user-erasure-outcomes",
                since: Timestamp(millisecondsSinceEpoch: 0),
                signer: testSigner,
                logger: logger
            ) { record in
                if case .confirmation(let confirmation, _) = record {
                    confirmations[confirmation.requestID, default: []].append(confirmation.status)
                }
            }
            #expect(confirmations.count == subjects.count)
            for (index, subject) in subjects.enumerated() {
                #expect(confirmations["r-\(index)"] == [subject.hasPrefix("job-fails") ? .failed : .confirmed])
            }
            // Six jobs ran twice, then finished; two ran once, then failed.
            #expect(await jobChecks(at: vendor, in: testbed) == 6 * 3 + 2 * 2, "a status call was made twice")
            #expect(first.all.contains { $0.contains("Confirmation published") })
            #expect(second.all.contains { $0.contains("Confirmation published") })
        }
    }

    /// A crash or a rebalance between writing a follow-up's next record and committing the offset of the one it was
    /// written from leaves two records that continue the same follow-up: the next owner reads the old one again and
    /// writes its own. Here the relay is stopped while its record waits for the next check, and a copy of that
    /// record, as another replica would have written it, is put beside it: the relay goes on with one of them only,
    /// so each status call is made once and the request gets one confirmation.
    @Test func aFollowUpWrittenTwiceIsFollowedOnce() async throws {
        let (vendor, jobSettings, standIn) = try jobVendor()
        var settings = jobSettings
        var definition = try #require(settings.account as? HTTPVendorDefinition)
        // Long enough between checks for the relay to stop before the next one.
        definition.job?.checkEverySeconds = 3
        settings.account = definition
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.declared = [standIn]
        try await withRelayTestbed(partitions: 2, sandbox: sandboxConfiguration, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let configuration = try await testbed.configuration(declaring: vendor, settings)
            let checks = { await jobChecks(at: vendor, in: testbed) }
            try await withRelay(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: OutcomeCollector()
            ) {
                try await sendRequests(erasing: ["job-runs-3-gina"], to: bootstrap)
                try await waitUntil("a first status check") { await checks() >= 1 }
            }
            let checkedBeforeRestart = await checks()
            try #require(checkedBeforeRestart < 4, "the relay stopped while the job was still followed")
            // The request's first record, then one written after each check.
            let written = try await TopicReader.read(
                bootstrap: bootstrap,
                topic: "user-erasure-jobs",
                count: 1 + checkedBeforeRestart,
                logger: logger
            )
            let waiting = try #require(written.last)
            try await produceRecords(
                bootstrap: bootstrap,
                topic: "user-erasure-jobs",
                [(key: waiting.key, value: waiting.value, headers: waiting.headers)],
                logger: logger
            )
            let capture = LogCapture()
            let records = try await withRelay(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: capture.logger(label: "restarted"),
                collector: OutcomeCollector()
            ) {
                try await TopicReader.read(
                    bootstrap: bootstrap,
                    topic: "user-erasure-outcomes",
                    count: 2,
                    logger: logger
                )
            }
            // Three running, then done: no check twice.
            #expect(await checks() == 4, "a status call was made twice")
            #expect(capture.all.contains { $0.contains("this copy is skipped") })
            let confirmations = try records.map(OutcomeTopicRecord.init).compactMap { record in
                if case .confirmation(let confirmation) = record { confirmation } else { nil }
            }
            #expect(confirmations.map(\.status) == [.confirmed])
            // Each record follows the one it was written from, and nothing was written from the copy.
            let all = try await TopicReader.read(
                bootstrap: bootstrap,
                topic: "user-erasure-jobs",
                count: 1 + 3 + 1,
                logger: logger
            )
            let copy = try #require(all.first { $0.offset > waiting.offset && $0.value == waiting.value })
            #expect(copy.topicPartition == waiting.topicPartition)
            let followUps = try all.map { try JobFollowUp(jsonBytes: $0.value) }
            let positions = all.map {
                Outcome.Source(
                    topic: $0.topicPartition.topic,
                    partition: $0.topicPartition.partition,
                    offset: $0.offset
                )
            }
            #expect(followUps[0].follows == nil)
            for (index, followUp) in followUps.enumerated().dropFirst() {
                #expect(followUp.follows.map { positions[..<index].contains($0) } == true)
            }
            #expect(!followUps.contains { $0.follows?.offset == copy.offset })
        }
    }

    /// Mixpanel's deletion tasks, against a stand-in written from Mixpanel's documentation, whose status answers
    /// list the task's distinct ids: one task finishes, one fails, and no distinct id reaches the outcome topic.
    @Test func mixpanelTasksAreConfirmedWithoutTheIdsItsAnswersEcho() async throws {
        let (vendor, settings, standIn) = try jobVendor("mixpanel.yaml")
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.declared = [standIn]
        try await withRelayTestbed(partitions: 2, sandbox: sandboxConfiguration, logger: logger) { testbed in
            let bootstrap = testbed.bootstrapServers
            let configuration = try await testbed.configuration(declaring: vendor, settings)
            let subjects = ["job-runs-2-erin", "job-fails-frank"]
            let messages = try await withRelay(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                collector: OutcomeCollector()
            ) {
                try await sendRequests(erasing: subjects, to: bootstrap)
                return try await TopicReader.read(
                    bootstrap: bootstrap,
                    topic: "user-erasure-outcomes",
                    count: 4,
                    logger: logger
                )
            }
            var confirmations: [String: ErasureConfirmation.Status] = [:]
            for case .confirmation(let confirmation) in try messages.map(OutcomeTopicRecord.init) {
                confirmations[confirmation.requestID] = confirmation.status
            }
            #expect(confirmations == ["r-0": .confirmed, "r-1": .failed])
            let written = messages.map { String(decoding: $0.value, as: UTF8.self) }.joined()
            for subject in subjects { #expect(!written.contains(subject)) }
            #expect(await testbed.sandbox.record(ofVendorNamed: vendor.rawValue)?.malformedCalls == 0)
        }
    }

    /// Sends one request per subject, `r-0`, `r-1`…, keyed so that they spread over the partitions.
    private func sendRequests(erasing subjects: [String], to bootstrap: String) async throws {
        let requests = subjects.enumerated().map { index, subject in
            (key: "k\(index)", value: requestJSON(id: "r-\(index)", subject: ["external_id": subject]))
        }
        try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", keyed: requests)
    }

    /// The status calls the stand-in of `vendor` answered.
    private func jobChecks(at vendor: VendorID, in testbed: RelayTestbed) async -> Int {
        await testbed.sandbox.record(ofVendorNamed: vendor.rawValue)?.jobChecks ?? 0
    }

    private func waitUntil(
        _ what: String,
        timeout: Duration = .seconds(60),
        _ condition: () async -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(await condition()) {
            guard ContinuousClock.now < deadline else { throw ChildProcessError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

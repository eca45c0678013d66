import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

/// What anyone outside can send the relay (a vendor's answer, a valid but odd request, a record on the retry topic)
/// must neither crash it, stall its other lanes, leak an identifier, nor produce a `completed` outcome for an erasure
/// that did not happen.
@Suite("A hostile world, end to end", .serialized, .timeLimit(.minutes(3)))
struct HostileWorldTests {
    let logger = TestLogs.logger(label: "hostile-world")

    private func produce(_ requests: [String], to testbed: RelayTestbed) async throws {
        try await Kcat.produce(bootstrap: testbed.bootstrapServers, topic: "user-erasure", lines: requests)
    }

    @Test func anAbsurdRetryAfterParksTheWorkWhileTheOtherLanesKeepMoving() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            let hostile = SandboxHostileAnswer(
                status: 429,
                headers: ["Retry-After": "1e21"],
                body: #"{"error":{"code":2002,"message":"slow down"}}"#
            )
            await testbed.sandbox.inject(.answer(hostile), count: 1, into: .engagelab)
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await produce(
                    [
                        requestJSON(
                            id: "told-to-wait",
                            subject: ["external_id": "u-wait", "engagelab_registration_ids": ["reg-wait"]]
                        )
                    ]
                        + (0..<20).map { requestJSON(id: "braze-\($0)", subject: ["external_id": "u-\($0)"]) },
                    to: testbed
                )
                // Every Braze-only request finishes while EngageLab may not be called for a week.
                let outcomes = try await collector.wait(for: 20)
                #expect(outcomes.allSatisfy { $0.requestID != "told-to-wait" })
                #expect(outcomes.allSatisfy { $0.status == .completed })
                let parked = try await TopicReader.read(
                    bootstrap: testbed.bootstrapServers,
                    topic: "user-erasure-retry",
                    count: 1,
                    logger: logger
                )
                #expect(parked[0].header(RequestProgress.Header.pendingVendors) == "engagelab")
                let notBefore = try #require(RequestProgress.notBefore(of: parked[0]))
                // Parked for the longest park (parking.max_delay_seconds, an hour by default), not retried at once.
                #expect(notBefore > Timestamp.now().adding(seconds: 3000))
                #expect(await testbed.sandbox.record(of: .engagelab).calls == 1)
            }
            #expect(await testbed.sandbox.record(of: .engagelab).calls == 1, "no call before the vendor allowed it")
            #expect(
                collector.all.allSatisfy { $0.requestID != "told-to-wait" },
                "nothing completed that did not happen"
            )
        }
    }

    @Test func hugeAndTricklingAnswersEndAsFailuresWithinTheTimeoutNotAsCrashesOrStalls() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            var configuration = testbed.configuration
            configuration.vendors[.engagelab]?.timeoutSeconds = 2
            configuration.vendors[.engagelab]?.retry.maxAttempts = 1
            configuration.parking.maxParks = 0
            let answers = [
                SandboxHostileAnswer(status: 200, body: #"{"success":true}"#, paddedToBytes: 5 << 20),
                SandboxHostileAnswer(status: 500, body: "{", paddedToBytes: 3 << 20),
                SandboxHostileAnswer(status: 200, body: #"{"success":true}"#, trickleMilliseconds: 500),
            ]
            for answer in answers { await testbed.sandbox.inject(.answer(answer), into: .engagelab) }
            try await withRelay(
                configuration: configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await produce(
                    (0..<3).map {
                        requestJSON(
                            id: "odd-\($0)",
                            subject: ["engagelab_registration_ids": ["reg-odd-\($0)"]],
                            vendors: ["engagelab"]
                        )
                    } + [requestJSON(id: "braze-after", subject: ["external_id": "u-after"], vendors: ["braze"])],
                    to: testbed
                )
                _ = try await collector.wait(for: 4)
            }
            let outcomes = Dictionary(uniqueKeysWithValues: collector.all.map { ($0.requestID ?? "", $0) })
            #expect(outcomes["braze-after"]?.status == .completed)
            for index in 0..<3 {
                let outcome = try #require(outcomes["odd-\(index)"])
                // An answer that cannot be read in full, or in time, proves nothing: never completed.
                #expect(outcome.status == .failed, "odd-\(index)")
                #expect((outcome.vendors.first?.error?.count ?? 0) <= VendorText.maxLength + 1)
            }
        }
    }

    @Test func validButHostileRequestsAgainstAnEchoingVendorLeakNothingAndFinish() async throws {
        let capture = LogCapture()
        let logger = capture.logger(label: "echo", level: .trace)
        let collector = OutcomeCollector()
        let placeholder = Array(VendorText.placeholder)
        let oneCharacter = Set(placeholder.map(String.init)).sorted()
        let longNames = (0..<100).map { index in String(repeating: "\(index % 10)", count: 508) + "-\(index % 100)" }
        let requests: [(id: String, aliases: [String])] = [
            ("one-character", oneCharacter),
            ("placeholder", [VendorText.placeholder, "identifier", "message", "errors"]),
            ("json-keys", ["alias_name", "alias_label", "user_aliases", "\"", "\\"]),
            ("hundred-long", longNames),
        ]
        try await withRelayTestbed(partitions: 1, logger: self.logger) { testbed in
            var configuration = testbed.configuration
            configuration.parking.maxParks = 0
            let echo = SandboxHostileAnswer(status: 400, body: #"{"message":"bad aliases: "#, echo: true)
            await testbed.sandbox.inject(.answer(echo), count: 400, into: .braze)
            try await withRelay(
                configuration: configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await produce(
                    requests.map { request in
                        requestJSON(
                            id: request.id,
                            subject: [
                                "user_aliases": request.aliases.map { ["alias_name": $0, "alias_label": "crm"] }
                            ],
                            vendors: ["braze"]
                        )
                    },
                    to: testbed
                )
                _ = try await collector.wait(for: requests.count)
            }
        }
        let outcomes = collector.all
        #expect(outcomes.count == requests.count)
        for outcome in outcomes {
            #expect(outcome.status == .failed, "an echoed 400 is a refusal, never an erasure")
            let text = String(decoding: outcome.jsonBytes(), as: UTF8.self)
            #expect(text.utf8.count < 4096, "outcome texts stay bounded")
            for alias in longNames where text.contains(alias) { Issue.record("an alias reached an outcome") }
        }
        for line in capture.all {
            for alias in longNames where line.contains(alias) { Issue.record("an alias reached a log line") }
        }
    }

    @Test func forgedOrUnsignedRetryRecordsAreRejectedNeverTrusted() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            let request = requestJSON(
                id: "forged",
                subject: ["external_id": "u-forged", "engagelab_registration_ids": ["reg-forged"]]
            )
            // The forger claims Braze took the erasure and leaves only EngageLab, which it says is done too.
            let progress = RequestProgress(
                receivedAt: .now(),
                source: .init(topic: "user-erasure", partition: 0, offset: 0),
                parks: 1,
                pendingVendors: [.engagelab],
                results: [VendorResult(vendor: .braze, status: .accepted, attempts: 1, identifiers: 1)]
            )
            let value = Array(request.utf8)
            let otherKey = RecordSigner(keys: [Secret("an-attacker-key-0123456789abcdef01234")])
            let genuine = testSigner.signing(value: value, headers: progress.headers)
            var tampered = genuine
            tampered[tampered.firstIndex { $0.name == RequestProgress.Header.pendingVendors }!] = KafkaHeader(
                name: RequestProgress.Header.pendingVendors,
                value: "moengage"
            )
            let records: [(String, [KafkaHeader])] = [
                ("unsigned", progress.headers),
                ("other-key", otherKey.signing(value: value, headers: progress.headers)),
                ("tampered", tampered),
                ("genuine", genuine),
            ]
            try await produceRecords(
                bootstrap: testbed.bootstrapServers,
                topic: "user-erasure-retry",
                records.map { (key: Array($0.0.utf8), value: value, headers: $0.1) },
                logger: logger
            )
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                _ = try await collector.wait(for: records.count)
            }
            // A rejected record points at itself on the retry topic; the genuine one at its original request.
            let rejected = collector.all.filter { $0.status == .rejected }.sorted {
                $0.source.offset < $1.source.offset
            }
            #expect(rejected.map(\.source.topic) == Array(repeating: "user-erasure-retry", count: 3))
            #expect(rejected.map(\.source.offset) == [0, 1, 2])
            for outcome in rejected {
                #expect(outcome.error?.code == "invalid_signature")
                #expect(outcome.error?.field == RecordSigner.header)
                // An unverified record's request id could belong to a genuine request: the outcome carries none.
                #expect(outcome.requestID == nil)
                #expect(outcome.regulation == nil)
            }
            let completed = collector.all.filter { $0.status == .completed }
            #expect(completed.map(\.source) == [progress.source])
            // Only the genuine record's pending vendor is called: three forgeries erased nothing anywhere.
            #expect(await testbed.sandbox.record(of: .engagelab).deleted["registration_id"] == ["reg-forged"])
            #expect(await testbed.sandbox.record(of: .braze).calls == 0)
            let copies = try await TopicReader.read(
                bootstrap: testbed.bootstrapServers,
                topic: "user-erasure-dlq",
                count: 3,
                logger: logger
            )
            #expect(copies.allSatisfy { $0.header(DeadLetterHeader.errorCode) == "invalid_signature" })
        }
    }

    @Test func aRequestNoTargetedVendorCanActOnIsRejectedNotCompleted() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await produce(
                    [
                        // EngageLab takes only registration ids, Braze no MoEngage id.
                        requestJSON(
                            id: "unroutable",
                            subject: ["moengage_id": "m-1"],
                            vendors: ["braze", "engagelab"]
                        ),
                        requestJSON(id: "partly", subject: ["external_id": "u-1"], vendors: ["braze", "engagelab"]),
                    ],
                    to: testbed
                )
                _ = try await collector.wait(for: 2)
            }
            let outcomes = Dictionary(uniqueKeysWithValues: collector.all.map { ($0.requestID ?? "", $0) })
            let unroutable = try #require(outcomes["unroutable"])
            #expect(unroutable.status == .rejected)
            #expect(unroutable.error?.code == "no_routable_identifier")
            #expect(unroutable.error?.field == "subject")
            #expect(unroutable.error?.message.contains("braze, engagelab") == true)
            #expect(unroutable.vendors.map(\.status) == [.skipped, .skipped])
            let partly = try #require(outcomes["partly"])
            #expect(partly.status == .completed)
            #expect(partly.vendors.map(\.status) == [.accepted, .skipped])
            let copies = try await TopicReader.read(
                bootstrap: testbed.bootstrapServers,
                topic: "user-erasure-dlq",
                count: 1,
                logger: logger
            )
            #expect(copies[0].header(DeadLetterHeader.errorCode) == "no_routable_identifier")
            #expect(await testbed.sandbox.record(of: .engagelab).calls == 0)
        }
    }

    @Test func moreHeldRecordsThanTheInFlightLimitNeverStarveNewRequestsAndComeDueByTheLongestPark() async throws {
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 4, logger: logger) { testbed in
            var configuration = testbed.configuration
            configuration.pipeline.maxInFlight = 5
            configuration.pipeline.resumeBelow = 3
            configuration.parking.maxDelaySeconds = 15
            // 40 genuine parked records over four retry partitions, due in the year 9999: more are held at once
            // than max_in_flight allows in flight, and none is held longer than the longest park.
            let parked = (0..<40).map { index in
                let value = Array(requestJSON(id: "parked-\(index)", subject: ["external_id": "p-\(index)"]).utf8)
                let progress = RequestProgress(
                    receivedAt: .now(),
                    source: .init(topic: "user-erasure", partition: 0, offset: Int64(1000 + index)),
                    parks: 1,
                    notBefore: Timestamp(rfc3339: "9999-12-31T23:59:59Z"),
                    pendingVendors: [.braze],
                    results: [VendorResult(vendor: .moengage, status: .accepted, attempts: 1, identifiers: 1)]
                )
                return (
                    key: Array("parked-\(index)".utf8) as [UInt8]?,
                    value: value,
                    headers: testSigner.signing(value: value, headers: progress.headers)
                )
            }
            try await produceRecords(
                bootstrap: testbed.bootstrapServers,
                topic: "user-erasure-retry",
                parked,
                logger: logger
            )
            try await withRelay(
                configuration: configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await produce(
                    (0..<20).map {
                        requestJSON(id: "new-\($0)", subject: ["external_id": "u-\($0)"], vendors: ["braze"])
                    },
                    to: testbed
                )
                // Before the first hold can end: held records must not have taken the new requests' room.
                let first = try await collector.wait(for: 20, timeout: .seconds(12))
                #expect(first.allSatisfy { $0.requestID?.hasPrefix("new-") == true })
                let parked = try await collector.wait(for: 21, timeout: .seconds(40))[20]
                #expect(parked.requestID?.hasPrefix("parked-") == true)
                #expect(parked.status == .completed)
                #expect(parked.vendors.map(\.vendor) == [.braze, .moengage])
            }
        }
    }
}

import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("Hostile input end to end", .serialized, .timeLimit(.minutes(3)))
struct HostileInputEndToEndTests {
    let logger = TestLogs.logger(label: "hostile")

    @Test func everyHostileMessageIsRejectedCopiedAndTheLineKeepsFlowing() async throws {
        let corpus = try HostileMessage.corpus()
        let collector = OutcomeCollector()
        let copies = try await withRelayTestbed(partitions: 1, logger: logger) { testbed in
            let sandbox = testbed.sandbox
            // Everything on one partition, in order, with a valid request last: it must not be held up.
            let valid = requestJSON(
                id: "after-the-hostile-ones",
                subject: ["engagelab_registration_ids": ["reg-after"]],
                vendors: ["engagelab"]
            )
            try await produceRecords(
                bootstrap: testbed.bootstrapServers,
                topic: "user-erasure",
                corpus.map {
                    (
                        key: Array($0.name.utf8) as [UInt8]?, value: $0.bytes,
                        headers: [KafkaHeader(name: "origin", value: "dsr-portal")]
                    )
                } + [(key: nil, value: Array(valid.utf8), headers: [])],
                properties: ["message.max.bytes": "2097152"],
                logger: logger
            )
            try await withRelay(
                configuration: testbed.configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                _ = try await collector.wait(for: corpus.count + 1)
            }
            #expect(await sandbox.record(of: .engagelab).deleted["registration_id"] == ["reg-after"])
            for vendor in SandboxVendor.allCases where vendor != .engagelab {
                #expect(await sandbox.record(of: vendor).calls == 0, "a hostile message reached \(vendor)")
            }
            return try await TopicReader.read(
                bootstrap: testbed.bootstrapServers,
                topic: "user-erasure-dlq",
                count: corpus.count,
                logger: logger
            )
        }
        let outcomes = collector.all.sorted { $0.source.offset < $1.source.offset }
        #expect(outcomes.count == corpus.count + 1)
        for (message, outcome) in zip(corpus, outcomes) {
            #expect(outcome.status == .rejected, "\(message.name)")
            #expect(outcome.error?.code == message.code, "\(message.name)")
            #expect(outcome.error?.field == message.field, "\(message.name)")
            #expect(outcome.vendors.isEmpty)
        }
        #expect(outcomes.last?.requestID == "after-the-hostile-ones")
        #expect(outcomes.last?.status == .completed)

        // The dead-letter copies are the messages, unchanged, with the error and the source in headers.
        // Copies are published as requests finish, which need not be in offset order: match them by key.
        let copiesByName = Dictionary(copies.map { (String(decoding: $0.key ?? [], as: UTF8.self), $0) }) { first, _ in
            first
        }
        #expect(copiesByName.count == corpus.count)
        for message in corpus {
            guard let copy = copiesByName[message.name] else {
                Issue.record("no dead-letter copy of \(message.name)")
                continue
            }
            #expect(copy.value == message.bytes, "\(message.name) was not copied unchanged")
            let headers = Dictionary(copy.headers.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) }) { $1 }
            #expect(headers["origin"] == "dsr-portal")
            #expect(headers["erasure-relay-error-code"] == message.code)
            #expect(headers["erasure-relay-error-field"] == (message.field ?? ""))
            #expect(headers["erasure-relay-source-topic"] == "user-erasure")
            #expect(headers["erasure-relay-error-message"]?.isEmpty == false)
        }
    }
}

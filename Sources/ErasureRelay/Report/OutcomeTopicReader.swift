import Foundation
import Kafka
import Logging

/// Reads the outcomes written to the outcome topic since a moment, up to the end of the topic at the moment of
/// asking, without joining or committing for any consumer group, and checks each record's signature.
public enum OutcomeTopicReader {
    /// One record of the outcome topic, as the reader found it.
    public enum Record: Sendable {
        /// An outcome one of the keys signed (or any outcome, when no key was given).
        case outcome(Outcome, ComplianceReport.Tally.LogPosition)
        /// A confirmation one of the keys signed (or any, when no key was given).
        case confirmation(ErasureConfirmation, ComplianceReport.Tally.LogPosition)
        /// A record whose signature is missing or wrong, with the outcome it holds if it holds one: never counted.
        case unverified(ComplianceReport.UnverifiedRecord, Outcome?, ComplianceReport.Tally.LogPosition)
        /// A signed record that is neither an outcome nor a confirmation.
        case unreadable
        /// Told once, before any record: how many records the period holds at most.
        case expecting(Int)
    }

    /// The compliance tally of the topic since `since`.
    /// - Parameters:
    ///   - kafka: the consumer's client configuration.
    ///   - topic: the outcome topic.
    ///   - since: the start of the period.
    ///   - signer: checks each record; without one, every record is taken as it stands and the tally says so.
    ///   - logger: for the consumer's own errors.
    public static func tally(
        kafka: KafkaClientConfiguration,
        topic: String,
        since: Timestamp,
        signer: RecordSigner?,
        logger: Logger
    ) async throws -> ComplianceReport.Tally {
        var tally = ComplianceReport.Tally()
        tally.verified = signer != nil
        let coverage = try await read(kafka: kafka, topic: topic, since: since, signer: signer, logger: logger) {
            switch $0 {
            case .outcome(let outcome, let position): tally.add(outcome, at: position)
            case .confirmation(let confirmation, let position): tally.add(confirmation, at: position)
            case .unverified(let record, _, _): tally.addUnverified(record)
            case .unreadable: tally.unreadableRecords += 1
            case .expecting(let records): tally.reserve(outcomes: records)
            }
        }
        tally.coverage = coverage
        return tally
    }

    /// Reads every record of the topic since `since`, hands each to `body` in log order within each partition, and
    /// returns what each partition still holds.
    /// - Parameters:
    ///   - kafka: the consumer's client configuration.
    ///   - topic: the outcome topic.
    ///   - since: the start of the period.
    ///   - signer: checks each record; without one, every record is taken as it stands.
    ///   - logger: for the consumer's own errors.
    ///   - body: told of each record.
    public static func read(
        kafka: KafkaClientConfiguration,
        topic: String,
        since: Timestamp,
        signer: RecordSigner?,
        logger: Logger,
        _ body: (Record) -> Void
    ) async throws -> [ComplianceReport.PartitionCoverage] {
        var consumerKafka = kafka
        consumerKafka.properties["enable.auto.commit"] = "false"
        // The service keeps its prefetch small, for backpressure; a report reads the topic straight through, and
        // with 4 MB queued it waited on the broker more than it worked (100,000 outcomes: 13.8 s against 3.3 s),
        // and 16 MB reads a million as fast as 64 MB with 84 MB less memory.
        consumerKafka.properties["queued.max.messages.kbytes"] =
            kafka.properties["queued.max.messages.kbytes"] ?? "16384"
        let consumer = try KafkaConsumer(
            configuration: consumerKafka,
            groupID: "erasure-relay-report-\(UUID().uuidString)",
            logger: logger
        )
        return try await consumer.closing {
            try await read(from: consumer, topic: topic, since: since, signer: signer, body)
        }
    }

    private static func read(
        from consumer: KafkaConsumer,
        topic: String,
        since: Timestamp,
        signer: RecordSigner?,
        _ body: (Record) -> Void
    ) async throws -> [ComplianceReport.PartitionCoverage] {
        let count = try await consumer.partitionCount(topic: topic)
        let partitions = (0..<count).map { TopicPartition(topic: topic, partition: Int32($0)) }
        let watermarks = try await consumer.watermarks(for: partitions)
        let coverage = try await self.coverage(from: consumer, watermarks: watermarks)
        // A broker answers -1 where no record is as recent as `since`, and so does one that cannot look offsets up
        // by time (librdkafka's mock cluster): such a partition is read from its start, and every record's own
        // timestamp decides.
        let byTime = try await consumer.offsets(atOrAfter: since.millisecondsSinceEpoch, of: partitions)
        let starts = Dictionary(
            uniqueKeysWithValues: watermarks.map { partition, marks in
                (partition, byTime[partition].flatMap { $0 >= 0 ? max($0, marks.low) : nil } ?? marks.low)
            }
        )
        body(
            .expecting(
                starts.reduce(0) { total, start in total + Int(max(0, watermarks[start.key]!.high - start.value)) }
            )
        )
        let decoder = JSONDecoder()
        try await consumer.read(from: starts, to: watermarks.mapValues(\.high)) { message in
            if let timestamp = message.timestamp, timestamp < since.millisecondsSinceEpoch { return }
            let position = ComplianceReport.Tally.LogPosition(
                partition: message.topicPartition.partition,
                offset: message.offset,
                timestamp: message.timestamp
            )
            let outcome = try? decoder.decode(Outcome.self, from: Data(message.value))
            if let signer, !signer.isValid(value: message.value, headers: message.headers) {
                let signed = message.headers.contains { $0.name == RecordSigner.header }
                let record = ComplianceReport.UnverifiedRecord(
                    topic: message.topicPartition.topic,
                    partition: message.topicPartition.partition,
                    offset: message.offset,
                    reason: signed ? .badSignature : .unsigned
                )
                body(.unverified(record, outcome, position))
            } else if let outcome {
                body(.outcome(outcome, position))
            } else if let confirmation = try? decoder.decode(ErasureConfirmation.self, from: Data(message.value)) {
                body(.confirmation(confirmation, position))
            } else {
                body(.unreadable)
            }
        }
        return coverage
    }

    /// The earliest record each partition still holds, read on its own: the period may start after it, but the
    /// report says what the topic could have answered.
    private static func coverage(
        from consumer: KafkaConsumer,
        watermarks: [TopicPartition: (low: Int64, high: Int64)]
    ) async throws -> [ComplianceReport.PartitionCoverage] {
        var earliest: [TopicPartition: Timestamp] = [:]
        try await consumer.read(
            from: watermarks.mapValues(\.low),
            to: watermarks.mapValues { min($0.low + 1, $0.high) }
        ) { message in
            if let timestamp = message.timestamp {
                earliest[message.topicPartition] = Timestamp(millisecondsSinceEpoch: timestamp)
            }
        }
        return watermarks.sorted { $0.key.partition < $1.key.partition }.map { partition, marks in
            ComplianceReport.PartitionCoverage(
                partition: partition.partition,
                earliestOffset: marks.low < marks.high ? marks.low : nil,
                earliestTimestamp: earliest[partition],
                recordsRemoved: marks.low > 0
            )
        }
    }
}

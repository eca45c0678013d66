import Foundation
import Kafka
import Logging

/// Reads the outcomes written to the outcome topic since a moment, up to the end of the topic at the moment of
/// asking, without joining or committing for any consumer group, and folds them into a compliance tally as it goes.
public enum OutcomeTopicReader {
    public static func tally(
        kafka: KafkaClientConfiguration,
        topic: String,
        since: Timestamp,
        logger: Logger
    ) async throws -> ComplianceReport.Tally {
        var consumerKafka = kafka
        consumerKafka.properties["enable.auto.commit"] = "false"
        let consumer = try KafkaConsumer(
            configuration: consumerKafka,
            groupID: "erasure-relay-report-\(UUID().uuidString)",
            logger: logger
        )
        return try await consumer.closing {
            try await read(from: consumer, topic: topic, since: since)
        }
    }

    private static func read(
        from consumer: KafkaConsumer,
        topic: String,
        since: Timestamp
    ) async throws -> ComplianceReport.Tally {
        let count = try await consumer.partitionCount(topic: topic)
        let partitions = (0..<count).map { TopicPartition(topic: topic, partition: Int32($0)) }
        let watermarks = try await consumer.watermarks(for: partitions)
        // A broker answers -1 where no record is as recent as `since`, and so does one that cannot look offsets up
        // by time (librdkafka's mock cluster): such a partition is read from its start, and every record's own
        // timestamp decides.
        let byTime = try await consumer.offsets(atOrAfter: since.millisecondsSinceEpoch, of: partitions)
        let starts = Dictionary(
            uniqueKeysWithValues: watermarks.map { partition, marks in
                (partition, byTime[partition].flatMap { $0 >= 0 ? max($0, marks.low) : nil } ?? marks.low)
            }
        )
        var tally = ComplianceReport.Tally()
        let decoder = JSONDecoder()
        try await consumer.read(from: starts, to: watermarks.mapValues(\.high)) { message in
            if let timestamp = message.timestamp, timestamp < since.millisecondsSinceEpoch { return }
            if let outcome = try? decoder.decode(Outcome.self, from: Data(message.value)) {
                let position = ComplianceReport.Tally.LogPosition(
                    partition: message.topicPartition.partition,
                    offset: message.offset,
                    timestamp: message.timestamp
                )
                tally.add(outcome, at: position)
            } else {
                tally.unreadableRecords += 1
            }
        }
        return tally
    }
}

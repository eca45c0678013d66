import Kafka
import Logging

/// Sends the records erasure-relay writes (outcomes, dead letters, parked work) until the broker acknowledges them.
struct RecordPublisher: Sendable {
    /// How a send ended.
    enum Delivery: Sendable, Equatable {
        /// The broker has the record.
        case acknowledged
        /// The task was cancelled (drain timeout, revocation) before an acknowledgement: the request stays unstored
        /// and is read again.
        case abandoned
        /// The producer or the topic can never take the record: sending it again would hold its partition forever.
        case tooLarge
    }

    let producer: KafkaProducer
    let metrics: RelayMetrics

    /// Sends until acknowledged, retrying what may succeed later.
    /// - Throws: the producer's fatal error: it will deliver nothing more, so the service must stop and be restarted.
    func publish(
        topic: String,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader],
        logger: Logger
    ) async throws(KafkaError) -> Delivery {
        var attempt = 0
        var random = SystemRandomNumberGenerator()
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10))
        while !Task.isCancelled {
            do {
                try await producer.send(topic: topic, key: key, value: value, headers: headers)
                return .acknowledged
            } catch {
                if let fatal = producer.fatalError ?? (error.isFatal ? error : nil) { throw fatal }
                if error.isRecordTooLarge { return .tooLarge }
                attempt += 1
                metrics.publishRetried(topic: topic)
                logger.warning(
                    "Publishing failed; retrying",
                    metadata: [LoggingKeys.topic: "\(topic)", LoggingKeys.error: "\(error)", "attempt": "\(attempt)"]
                )
                try? await Task.sleep(for: backoff.delay(afterAttempt: attempt, using: &random))
            }
        }
        return .abandoned
    }

    /// Sends a record of the relay's own (an outcome, a confirmation, a job follow-up), signed so that whoever reads
    /// it can tell it from anyone else's, until acknowledged.
    /// - Throws: the producer's fatal error.
    func publishSigned(
        topic: String,
        key: String?,
        value: [UInt8],
        signer: RecordSigner,
        logger: Logger
    ) async throws(KafkaError) -> Delivery {
        try await publish(
            topic: topic,
            key: key.map { Array($0.utf8) },
            value: value,
            headers: signer.signing(value: value, headers: []),
            logger: logger
        )
    }

    /// Sends a dead-letter record. One the producer cannot take is sent again without its value, with a header
    /// saying so, and then without upstream's headers too: the record of what happened must get through, and a copy
    /// the broker can never take must not hold the partition.
    func publishDeadLetter(
        topic: String,
        key: [UInt8]?,
        value: [UInt8],
        upstream: [KafkaHeader],
        own: [KafkaHeader],
        logger: Logger
    ) async throws(KafkaError) -> Delivery {
        let full = try await publish(topic: topic, key: key, value: value, headers: upstream + own, logger: logger)
        guard full == .tooLarge else { return full }
        let omitted = KafkaHeader(
            name: DeadLetterHeader.valueOmitted,
            value: "the message (\(value.count) bytes) is larger than the producer or the topic accepts"
        )
        logger.warning(
            "Dead-letter copy too large for the producer; writing it without its value",
            metadata: [LoggingKeys.topic: "\(topic)", "bytes": "\(value.count)"]
        )
        let bare = try await publish(
            topic: topic,
            key: key,
            value: [],
            headers: upstream + own + [omitted],
            logger: logger
        )
        guard bare == .tooLarge else { return bare }
        return try await publish(topic: topic, key: key, value: [], headers: own + [omitted], logger: logger)
    }
}

import Kafka
import Logging

/// Sends dead-letter records back for processing, through the retry topic: a failed request is taken up again for
/// the vendors that failed, keeping the results of the others; a rejected message is read as a new request (useful
/// once the cause, such as an unconfigured vendor, is fixed). Either way the outcome points at the message's
/// original place in the request topic.
public struct DeadLetterReplay: Sendable {
    /// Which dead-letter records to replay. Empty sets select every record.
    public struct Selection: Sendable, Hashable {
        public var requestIDs: Set<String>
        /// Error codes, such as `retries_exhausted` or `unknown_vendor`.
        public var errorCodes: Set<String>

        public init(requestIDs: Set<String> = [], errorCodes: Set<String> = []) {
            self.requestIDs = requestIDs
            self.errorCodes = errorCodes
        }
    }

    /// One dead-letter record, read.
    public struct Record: Sendable {
        public var requestID: String?
        public var errorCode: String
        public var source: Outcome.Source
        public var deadLetter: TopicPartition
        public var offset: Int64
        /// What goes to the retry topic, or why the record cannot be replayed.
        public var replay: Result<[KafkaHeader], RequestRejection>
    }

    /// What a replay did.
    public struct Summary: Sendable, Hashable {
        public var replayed: Int
        /// Records the selection left out.
        public var skipped: Int
        /// Selected records whose erasure-relay headers cannot be read.
        public var unreadable: Int

        public init(replayed: Int = 0, skipped: Int = 0, unreadable: Int = 0) {
            self.replayed = replayed
            self.skipped = skipped
            self.unreadable = unreadable
        }
    }

    public let selection: Selection
    private let signer: RecordSigner
    private let decoder = RequestDecoder(limits: .init(maxMessageBytes: .max))

    /// - Parameters:
    ///   - selection: which records to replay.
    ///   - signer: the service's keys: a failed request's record must carry their signature, and every record
    ///     written to the retry topic is signed anew.
    public init(selection: Selection, signer: RecordSigner) {
        self.selection = selection
        self.signer = signer
    }

    /// Reads a dead-letter record: what it is, and the headers of its retry-topic copy. The copy starts afresh
    /// (no parks, due at once) with the vendors still owed an erasure and the results so far.
    public func read(_ message: KafkaMessage, now: Timestamp) -> Record {
        let salvage =
            switch decoder.decode(message.value) {
            case .success(let request): request.requestID
            case .failure(let rejected): rejected.salvage.requestID
            }
        let coordinates = Outcome.Source(
            topic: message.topicPartition.topic,
            partition: message.topicPartition.partition,
            offset: message.offset
        )
        let source = Outcome.Source(
            topic: message.header(RequestProgress.Header.sourceTopic) ?? coordinates.topic,
            partition: message.header(RequestProgress.Header.sourcePartition).flatMap { Int32($0) }
                ?? coordinates.partition,
            offset: message.header(RequestProgress.Header.sourceOffset).flatMap { Int64($0) } ?? coordinates.offset
        )
        let replay: Result<[KafkaHeader], RequestRejection>
        do throws(RequestRejection) {
            let carried = try RequestProgress(headers: message.headers)
            // A forged "vendor accepted" in the dead-letter topic must not be signed into the retry topic.
            if carried != nil, let rejection = signer.rejection(ofUnsigned: message, claiming: "its progress is") {
                throw rejection
            }
            var progress = carried ?? RequestProgress(receivedAt: now, source: source)
            progress.parks = 0
            progress.notBefore = nil
            replay = .success(
                signer.signing(
                    value: message.value,
                    headers: RecordHeaders.upstream(of: message) + progress.headers
                )
            )
        } catch {
            replay = .failure(error)
        }
        return Record(
            requestID: salvage,
            errorCode: message.header(DeadLetterHeader.errorCode) ?? "",
            source: source,
            deadLetter: message.topicPartition,
            offset: message.offset,
            replay: replay
        )
    }

    public func selects(_ record: Record) -> Bool {
        (selection.requestIDs.isEmpty || record.requestID.map(selection.requestIDs.contains) == true)
            && (selection.errorCodes.isEmpty || selection.errorCodes.contains(record.errorCode))
    }

    /// Reads the dead-letter topic from its start up to its end when the replay begins, and writes every selected
    /// record to the retry topic, each acknowledged before the replay ends.
    /// - Parameters:
    ///   - kafka: the brokers and client properties to read the dead letters and write the retry topic with.
    ///   - topics: names the dead-letter topic to read and the retry topic to write.
    ///   - dryRun: only report what would be replayed.
    ///   - logger: receives progress and errors.
    ///   - report: told of every selected record, after it was written.
    /// - Returns: how many records were replayed, skipped and unreadable.
    /// - Throws: a `KafkaError` when the topics cannot be read or a record is not acknowledged.
    public func run(
        kafka: KafkaClients,
        topics: RelayConfiguration.Kafka,
        dryRun: Bool,
        logger: Logger,
        report: @Sendable (Record) -> Void
    ) async throws -> Summary {
        var consumerKafka = kafka.consumer
        consumerKafka.properties["enable.auto.commit"] = "false"
        let consumer = try KafkaConsumer(
            configuration: consumerKafka,
            groupID: "\(topics.groupID)-replay",
            logger: logger
        )
        let producer = try KafkaProducer(configuration: kafka.producer, logger: logger)
        return try await consumer.closing {
            try await replay(
                from: consumer,
                to: producer,
                topics: topics,
                dryRun: dryRun,
                logger: logger,
                report: report
            )
        }
    }

    private func replay(
        from consumer: KafkaConsumer,
        to producer: KafkaProducer,
        topics: RelayConfiguration.Kafka,
        dryRun: Bool,
        logger: Logger,
        report: @Sendable (Record) -> Void
    ) async throws -> Summary {
        let count = try await consumer.partitionCount(topic: topics.deadLetterTopic)
        let partitions = (0..<count).map { TopicPartition(topic: topics.deadLetterTopic, partition: Int32($0)) }
        let watermarks = try await consumer.watermarks(for: partitions)
        logger.info(
            "Replaying dead-letter records",
            metadata: [
                LoggingKeys.topic: "\(topics.deadLetterTopic)",
                "records": "\(watermarks.values.reduce(0) { $0 + $1.high - $1.low })",
            ]
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            defer { group.cancelAll() }
            var summary = Summary()
            try await consumer.read(from: watermarks.mapValues(\.low), to: watermarks.mapValues(\.high)) { message in
                let record = read(message, now: .now())
                guard selects(record) else {
                    summary.skipped += 1
                    return
                }
                guard case .success(let headers) = record.replay else {
                    summary.unreadable += 1
                    report(record)
                    return
                }
                if !dryRun {
                    try await producer.send(
                        topic: topics.retryTopic,
                        key: message.key,
                        value: message.value,
                        headers: headers
                    )
                }
                summary.replayed += 1
                report(record)
            }
            return summary
        }
    }
}

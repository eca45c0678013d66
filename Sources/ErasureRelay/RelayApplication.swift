import AsyncHTTPClient
import Kafka
import Logging
import ServiceLifecycle

/// erasure-relay as one service: it builds the outcome producer, the request consumer and the vendor lanes in one
/// place, and runs them as a `ServiceGroup` that stops them in the order at-least-once needs (the consumer drains
/// and stores its offsets before the producer flushes and closes).
public final class RelayApplication: Service {
    public let configuration: RelayConfiguration
    private let bootstrapServers: String
    private let logger: Logger
    private let observer: (@Sendable (Outcome) -> Void)?
    private let transport: (any VendorTransport)?
    private let producer: KafkaProducer?
    /// What the health endpoints report.
    public let health: RelayHealth
    private let metrics: RelayMetrics

    /// - Parameters:
    ///   - configuration: the validated configuration; its `vendors` decide which lanes run.
    ///   - bootstrapServers: the brokers to use; overrides `kafka.bootstrap_servers` (the embedded broker's list).
    ///   - transport: how vendor calls are sent; by default async-http-client.
    ///   - producer: what publishes outcomes, dead letters and parked work; by default one made from the
    ///     configuration. It must have been made with `enable.idempotence` (`KafkaProducer` always sets it).
    ///   - health: updated as the consumer polls, joins the group and shuts down.
    ///   - metrics: where the relay's `erasure_relay_*` metrics go.
    ///   - logger: the service's logger; no identifier is ever logged through it.
    ///   - observer: told of every outcome once the broker acknowledged it.
    public init(
        configuration: RelayConfiguration,
        bootstrapServers: String,
        transport: (any VendorTransport)? = nil,
        producer: KafkaProducer? = nil,
        health: RelayHealth = RelayHealth(),
        metrics: RelayMetrics = RelayMetrics(),
        logger: Logger,
        observer: (@Sendable (Outcome) -> Void)? = nil
    ) {
        self.health = health
        self.metrics = metrics
        self.configuration = configuration
        self.bootstrapServers = bootstrapServers
        self.transport = transport
        self.producer = producer
        self.logger = logger
        self.observer = observer
    }

    public func run() async throws {
        // Refused here as well as by the command line: a relay without vendors would report every erasure
        // completed, and one without a key could not sign or trust parked work.
        try configuration.validateVendorsAndSigning()
        let clients = configuration.kafka.clients(bootstrapServers: bootstrapServers)
        let kafka = clients.producer
        let producer = try self.producer ?? KafkaProducer(configuration: kafka, logger: logger)
        var consumerKafka = clients.consumer
        // Statistics feed the consumer-lag and parked-backlog metrics.
        consumerKafka.properties["statistics.interval.ms"] = kafka.properties["statistics.interval.ms"] ?? "15000"
        let metrics = metrics
        let logger = logger
        let topics = configuration.kafka
        let commits = CommitLatencyTracker(metrics: metrics)
        let jobSchedules = Dictionary(
            uniqueKeysWithValues: configuration.vendors.values.compactMap { vendor in
                (vendor.account as? HTTPVendorDefinition)?.job.map { (vendor.vendor, $0) }
            }
        )
        // No quota until partitions are assigned: a replica's share of each quota is its share of the partitions.
        // A retry or jobs partition weighs a tenth of a request partition: parked work and status checks are a
        // trickle next to new requests.
        var weights = [(configuration.kafka.requestTopic, 1.0), (configuration.kafka.retryTopic, 0.1)]
        if !jobSchedules.isEmpty { weights.append((configuration.kafka.jobsTopic, 0.1)) }
        let shareTracker = PartitionShareTracker(
            weights: Dictionary(weights, uniquingKeysWith: max),
            share: QuotaShare(initial: 0)
        )
        // librdkafka's defaults: a member silent for the session timeout is evicted, and it learns of that from a
        // heartbeat; three heartbeats after running again, a lost assignment has been reported.
        let sessionTimeout = Int(consumerKafka.properties["session.timeout.ms"] ?? "") ?? 45_000
        let heartbeat = Int(consumerKafka.properties["heartbeat.interval.ms"] ?? "") ?? 3_000
        shareTracker.share.holdWhileStale(
            after: .milliseconds(sessionTimeout),
            grace: .milliseconds(min(sessionTimeout, max(1_000, 3 * heartbeat)))
        )
        let consumer = try KafkaConsumer(
            configuration: consumerKafka,
            groupID: configuration.kafka.groupID,
            logger: logger,
            hooks: .init(
                beforeRevoke: { _, remaining in
                    shareTracker.revoking(remaining: remaining.map { ($0.topic, $0.partition) })
                },
                statistics: { json in metrics.consumerLag(statistics: json, topics: topics) },
                offsetsCommitted: { succeeded, offsets in
                    if !succeeded {
                        // Nothing is lost: the stored offsets stay ahead of the committed ones, so librdkafka commits
                        // them again at its next interval, and at worst the requests are read and sent again.
                        logger.warning("Offset commit failed; it is retried at the next commit interval")
                    }
                    commits.committed(succeeded: succeeded, offsets: offsets)
                }
            )
        )
        let checkRetention: @Sendable () async throws -> OutcomeRetention = { [configuration] in
            try await OutcomeRetention.check(
                kafka: kafka,
                topic: configuration.kafka.outcomeTopic,
                minimumDays: configuration.outcomes.minRetentionDays,
                metrics: metrics,
                logger: logger
            )
        }
        if configuration.outcomes.requireRetention, let refusal = try await checkRetention().refusal {
            await consumer.close()
            throw refusal
        }
        let httpClient = transport == nil ? HTTPVendorTransport.makeClient() : nil
        let transport = transport ?? HTTPVendorTransport(client: httpClient!)
        let settings = configuration.vendors.values.sorted { $0.vendor < $1.vendor }
        let adapters = settings.map { $0.makeAdapter() }
        metrics.prepare(
            vendors: settings,
            publishTopics: [topics.outcomeTopic, topics.deadLetterTopic, topics.retryTopic]
                + (jobSchedules.isEmpty ? [] : [topics.jobsTopic])
        )
        let lanes = zip(settings, adapters).map { settings, adapter in
            VendorLane(
                adapter: adapter,
                settings: settings,
                transport: transport,
                logger: logger,
                quotaShare: shareTracker.share,
                metrics: metrics
            )
        }
        let signer = RecordSigner(keys: configuration.parking.signingKeys)
        let publisher = RecordPublisher(producer: producer, metrics: metrics)
        let handler = RequestHandler(
            topics: .init(configuration.kafka),
            decoder: RequestDecoder(
                limits: .init(maxMessageBytes: configuration.pipeline.maxMessageBytes),
                knownVendors: Array(Set(VendorID.builtIn + adapters.map(\.vendor)))
            ),
            processor: RequestProcessor(lanes: lanes),
            parking: ParkingPolicy(configuration.parking),
            signer: signer,
            publisher: publisher,
            follower: JobFollower(
                lanes: lanes,
                schedules: jobSchedules,
                topics: .init(configuration.kafka),
                signer: signer,
                publisher: publisher,
                metrics: metrics
            ),
            metrics: metrics,
            observer: observer
        )
        let relay = ErasureRelayService(
            consumer: consumer,
            handler: handler,
            lanes: lanes,
            pipeline: configuration.pipeline,
            parking: configuration.parking,
            shareTracker: shareTracker,
            commits: commits,
            health: health,
            metrics: metrics,
            logger: logger
        )
        logger.info(
            "erasure-relay starting",
            metadata: [
                "vendors": "\(settings.map(\.vendor.rawValue).joined(separator: ","))",
                "kafka.group_id": "\(configuration.kafka.groupID)",
            ]
        )
        // Shut down in reverse: the relay service drains and stores its offsets, then the producer flushes.
        let services = [
            ServiceGroupConfiguration.ServiceConfiguration(
                service: ProducerService(producer: producer),
                successTerminationBehavior: .gracefullyShutdownGroup
            ),
            ServiceGroupConfiguration.ServiceConfiguration(
                service: relay,
                successTerminationBehavior: .gracefullyShutdownGroup
            ),
        ]
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        do {
            try await withThrowingTaskGroup(of: Bool.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return true
                }
                tasks.addTask {
                    // A group hears only of its own shutdown: pass on the shutdown of whatever runs this application.
                    guard (try? await gracefulShutdown()) != nil else { return false }
                    await group.triggerGracefulShutdown()
                    return false
                }
                if !configuration.outcomes.requireRetention {
                    // Checked beside the work rather than before it: a cluster that cannot describe the topic makes
                    // the check wait out its timeout, and the record matters, not when the warning comes. Not a
                    // service of the group: it ends when it likes, and a group takes a service that ends during its
                    // shutdown for a failure.
                    tasks.addTask {
                        _ = try? await checkRetention()
                        return false
                    }
                }
                while let groupEnded = try await tasks.next() {
                    if groupEnded { tasks.cancelAll() }
                }
            }
        } catch {
            try? await httpClient?.shutdown()
            throw error
        }
        try? await httpClient?.shutdown()
    }
}

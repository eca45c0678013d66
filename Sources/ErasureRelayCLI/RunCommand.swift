import ArgumentParser
import ErasureRelay
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import VendorSandbox

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Consume erasure requests and relay them to the vendors (the default command).",
        discussion: """
            With no --config, runs on an embedded broker against the in-process vendor sandbox. A configuration \
            without kafka.bootstrap_servers also starts an embedded broker.
            """
    )

    @Option(name: .long, help: "The YAML configuration file.")
    var config: String?

    @Option(name: .long, help: "Partitions of each topic on the embedded broker.")
    var embeddedPartitions: Int = 4

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "erasure-relay")
        let configuration = try config.map { try RelayConfiguration(contentsOfFile: $0) } ?? RelayConfiguration()
        var broker: EmbeddedBroker?
        let bootstrapServers: String
        if let configured = configuration.kafka.bootstrapServers {
            bootstrapServers = configured
        } else {
            let embedded = try EmbeddedBroker(logger: logger)
            for topic in configuration.kafka.topics {
                try embedded.createTopic(topic, partitions: embeddedPartitions)
            }
            bootstrapServers = embedded.bootstrapServers
            broker = embedded
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let health = RelayHealth()
        let operations = OperationsServer(
            host: configuration.http.host,
            port: configuration.http.port,
            health: health,
            metrics: { registry.emitToBuffer() },
            logger: logger
        )
        let sandbox = config == nil ? VendorSandbox(logger: logger) : nil
        let relay = EmbeddedDefaults(
            configuration: configuration,
            bootstrapServers: bootstrapServers,
            sandbox: sandbox,
            embeddedBroker: broker != nil,
            health: health,
            logger: logger
        )
        // Shut down in reverse: the relay drains first, the health endpoint answers until it has.
        let services: [any Service] = (sandbox.map { [$0] } ?? []) + [operations, relay]
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        broker?.shutdown()
    }
}

/// Runs the relay, first pointing it at the sandbox when there is one and telling the person at the terminal how to
/// reach an embedded broker.
struct EmbeddedDefaults: Service {
    let configuration: RelayConfiguration
    let bootstrapServers: String
    let sandbox: VendorSandbox?
    let embeddedBroker: Bool
    let health: RelayHealth
    let logger: Logger

    func run() async throws {
        var configuration = configuration
        if let sandbox {
            configuration.vendors = await sandbox.relayVendorSettings()
            say(
                "Vendors: the in-process sandbox (\(configuration.vendors.values.map { "\($0.vendor.rawValue) \($0.baseURL)" }.sorted().joined(separator: ", ")))"
            )
        }
        if embeddedBroker {
            say(
                """
                Embedded Kafka broker: \(bootstrapServers)  (keeps only about 5 MB per partition: for trying out, not for production)
                Send a sample request:
                  echo '\(SampleRequest.json)' | kcat -P -b \(bootstrapServers) -t \(configuration.kafka.requestTopic) -k sample-1
                Read the outcomes:
                  kcat -C -b \(bootstrapServers) -t \(configuration.kafka.outcomeTopic) -o beginning
                """
            )
        }
        try await RelayApplication(
            configuration: configuration,
            bootstrapServers: bootstrapServers,
            health: health,
            logger: logger
        ).run()
    }
}

enum SampleRequest {
    static let json = """
        {"request_id":"sample-1","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z",\
        "subject":{"external_id":"u-123","email":"a@example.com","engagelab_registration_ids":["reg-1"]}}
        """
}

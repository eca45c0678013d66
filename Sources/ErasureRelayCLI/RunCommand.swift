import ArgumentParser
import ErasureRelay
import ErasureRelaySandboxBridge
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
            With no configuration at all (no --config and no ERASURE_RELAY__ variable), or with --embedded, runs on \
            an embedded broker against the in-process vendor sandbox. Otherwise the configuration (the file, the \
            environment, or both) must name kafka.bootstrap_servers, at least one vendor and parking.signing_key.
            """
    )

    @Option(name: .long, help: "The YAML configuration file.")
    var config: String?

    @Flag(
        name: .long,
        help: "Run on an embedded broker and the in-process vendor sandbox, with the rest of the configuration."
    )
    var embedded = false

    @Option(name: .long, help: "Partitions of each topic on the embedded broker.")
    var embeddedPartitions: Int = 4

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "erasure-relay")
        let loaded = try RelayConfiguration.load(file: config)
        let embedded = self.embedded || loaded == nil
        var configuration = loaded ?? RelayConfiguration()
        var broker: EmbeddedBroker?
        let bootstrapServers: String
        if embedded {
            try Self.checkEmbedded(configuration)
            // Parked work lives only as long as the embedded broker, so a key of this process signs it.
            if configuration.parking.signingKeys.isEmpty {
                configuration.parking.signingKeys = [Secret(Self.randomKey())]
            }
            let embeddedBroker = try EmbeddedBroker(logger: logger)
            configuration.kafka.consumerProperties.merge(EmbeddedBroker.consumerProperties) { configured, _ in
                configured
            }
            for topic in configuration.kafka.topics {
                try embeddedBroker.createTopic(topic, partitions: embeddedPartitions)
            }
            bootstrapServers = embeddedBroker.bootstrapServers
            broker = embeddedBroker
        } else {
            try configuration.validateForService()
            bootstrapServers = configuration.kafka.bootstrapServers!
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
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.declared = configuration.vendors.compactMap { vendor, settings in
            DeclaredStandIn(vendor: vendor, settings: settings)
        }
        let sandbox = embedded ? VendorSandbox(configuration: sandboxConfiguration, logger: logger) : nil
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

    /// An embedded run uses its own broker and sandbox: brokers or vendors configured beside --embedded would be
    /// silently ignored, so they are refused.
    private static func checkEmbedded(_ configuration: RelayConfiguration) throws(ConfigurationError) {
        if configuration.kafka.bootstrapServers != nil {
            throw ConfigurationError(
                key: "kafka.bootstrap_servers",
                message: "is not used with --embedded, which starts its own broker; remove one of the two"
            )
        }
        if let builtIn = configuration.vendors.keys.sorted().first(where: \.isBuiltIn) {
            throw ConfigurationError(
                key: "vendors",
                message: "are not used with --embedded, which calls the in-process sandbox; remove one of the two ("
                    + "\(builtIn) is built in; a vendor declared with kind: http gets a stand-in of its own)"
            )
        }
    }

    private static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }.joined()
    }
}

import ArgumentParser
import ErasureRelay
import Foundation
import Kafka
import ServiceLifecycle

struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Run an embedded Kafka broker on loopback, with erasure-relay's topics, until interrupted.",
        discussion: """
            For development and tests only: librdkafka's mock cluster keeps about 5 MB per partition and drops \
            older messages. Prints the bootstrap list on the first line of standard output.
            """
    )

    @Option(name: .long, help: "Partitions per topic.")
    var partitions: Int = 4

    @Option(name: .long, help: "Brokers in the cluster.")
    var brokers: Int = 1

    @Option(name: .long, parsing: .upToNextOption, help: "Topics to create (default: the four default topics).")
    var topics: [String] = []

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "erasure-relay.dev-broker")
        let broker = try EmbeddedBroker(brokerCount: brokers, logger: logger)
        let defaults = RelayConfiguration.Kafka()
        let names = topics.isEmpty ? defaults.topics : topics
        for topic in names { try broker.createTopic(topic, partitions: partitions) }
        FileHandle.standardOutput.write(Data((broker.bootstrapServers + "\n").utf8))
        say(
            "Embedded broker at \(broker.bootstrapServers) with topics \(names.joined(separator: ", ")) (\(partitions) partitions each). Ctrl-C stops it."
        )
        let group = ServiceGroup(
            services: [UntilShutdown()],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
        broker.shutdown()
    }
}

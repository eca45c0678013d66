import ArgumentParser
import ErasureRelay
import ErasureRelaySandboxBridge
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import VendorSandbox

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
            configuration.vendors = try await sandbox.relayVendorSettings(declared: configuration.vendors)
            say(
                "Vendors: the in-process sandbox (\(configuration.vendors.values.map { "\($0.vendor.rawValue) \($0.displayedBaseURL)" }.sorted().joined(separator: ", ")))"
            )
        }
        if embeddedBroker {
            say(
                "Embedded Kafka broker: \(bootstrapServers)  (keeps only about 5 MB per partition: for trying out, "
                    + "not for production)"
            )
            // Said once the consumer is in the group, so that a request sent as told is read at once.
            let topics = configuration.kafka
            health.onceJoined { [bootstrapServers] in
                say(
                    """
                    Ready. Send a sample request:
                      echo '\(SampleRequest.json)' | kcat -P -b \(bootstrapServers) -t \(topics.requestTopic) -k sample-1
                    Read the outcomes (-e: exit at the end of the topic):
                      kcat -C -b \(bootstrapServers) -t \(topics.outcomeTopic) -o beginning -e
                    """
                )
            }
        }
        try await RelayApplication(
            configuration: configuration,
            bootstrapServers: bootstrapServers,
            health: health,
            logger: logger
        ).run()
    }
}

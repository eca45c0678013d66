import ErasureRelay
import ErasureRelaySandboxBridge
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import VendorSandbox

/// What an end-to-end test runs the relay against: an embedded broker holding the relay's topics, and a vendor
/// sandbox.
public struct RelayTestbed: Sendable {
    public let broker: EmbeddedBroker
    public let sandbox: VendorSandbox
    /// A relay configuration for both: fast group settings and every sandbox vendor. Tests adjust a copy.
    public let configuration: RelayConfiguration

    public var bootstrapServers: String { broker.bootstrapServers }

    /// ``configuration`` with `vendor`, declared with `settings`, as its only vendor, pointed at the sandbox's
    /// stand-in of it.
    public func configuration(
        declaring vendor: VendorID,
        _ settings: VendorSettings
    ) async throws
        -> RelayConfiguration
    {
        var configuration = configuration
        configuration.vendors = try await sandbox.relayVendorSettings(declared: [vendor: settings])
            .filter { $0.key == vendor }
        return configuration
    }
}

/// Runs `body` with a ``RelayTestbed`` whose topics have `partitions` partitions each, and stops the sandbox and the
/// broker afterwards.
public func withRelayTestbed<Result: Sendable>(
    partitions: Int,
    brokers: Int = 1,
    sandbox sandboxConfiguration: SandboxConfiguration = SandboxConfiguration(),
    logger: Logger,
    _ body: (RelayTestbed) async throws -> Result
) async throws -> Result {
    let broker = try EmbeddedBroker(brokerCount: brokers, logger: logger)
    defer { broker.shutdown() }
    var configuration = RelayConfiguration()
    for topic in configuration.kafka.topics {
        try broker.createTopic(topic, partitions: partitions)
    }
    configuration.kafka.properties = fastGroupProperties
    configuration.parking.signingKeys = testSigningKeys
    return try await withSandbox(sandboxConfiguration, logger: logger) { sandbox async throws in
        configuration.vendors = try await sandbox.relayVendorSettings()
        let result = try await body(RelayTestbed(broker: broker, sandbox: sandbox, configuration: configuration))
        try TestLogs.checkNoLeaks()
        return result
    }
}

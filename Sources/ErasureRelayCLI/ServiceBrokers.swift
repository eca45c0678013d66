import ArgumentParser
import ErasureRelay

/// The brokers a command run beside the service uses: `--bootstrap-servers`, or else the configuration's.
func serviceBrokers(_ override: String?, in configuration: RelayConfiguration, for command: String) throws -> String {
    guard let brokers = override ?? configuration.kafka.bootstrapServers else {
        throw ValidationError(
            "kafka.bootstrap_servers: \(command) needs the service's brokers; set it in --config or pass --bootstrap-servers"
        )
    }
    return brokers
}

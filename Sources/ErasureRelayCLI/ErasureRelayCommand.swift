import ArgumentParser
import ErasureRelay

@main
struct ErasureRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erasure-relay",
        abstract: "Relays GDPR/CCPA erasure requests from Kafka to the vendors that hold the user's data.",
        version: erasureRelayVersion,
        subcommands: [
            RunCommand.self, ReplayCommand.self, ReportCommand.self, DevBrokerCommand.self, SandboxCommand.self,
            CheckConfigCommand.self, VendorsCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )
}

import ArgumentParser
import ErasureRelay

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and print the effective configuration, secrets masked.",
        discussion: """
            Checks what `run --config FILE` checks, environment included: a file that passes starts the service.
            """
    )

    @Option(name: .long, help: "The YAML configuration file.")
    var config: String

    func run() throws {
        // A ConfigurationError, thrown as it is, prints alone: it is not a usage mistake, so no usage text follows.
        let configuration = try RelayConfiguration(contentsOfFile: config)
        try configuration.validateForService()
        print(configuration.effectiveDescription)
    }
}

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

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        _ = try logging.bootstrap(label: "erasure-relay.check-config", sink: JSONLogHandler.standardError)
        // Every unset variable at once, then everything the service needs at once: a file is put right in one pass.
        let unset = try RelayConfiguration.unsetVariables(inFile: config)
        guard unset.isEmpty else { throw ConfigurationProblems(problems: unset) }
        // A ConfigurationError, thrown as it is, prints alone: it is not a usage mistake, so no usage text follows.
        let configuration = try RelayConfiguration(contentsOfFile: config)
        let problems = configuration.serviceProblems
        guard problems.isEmpty else { throw ConfigurationProblems(problems: problems) }
        print(configuration.effectiveDescription)
    }
}

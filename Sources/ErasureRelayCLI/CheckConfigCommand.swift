import ArgumentParser
import ErasureRelay

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and print the effective configuration, secrets masked."
    )

    @Option(name: .long, help: "The YAML configuration file.")
    var config: String

    func run() throws {
        do {
            let configuration = try RelayConfiguration(contentsOfFile: config)
            print(configuration.effectiveDescription)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

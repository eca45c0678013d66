import ArgumentParser
import ErasureRelay
import Foundation
import Kafka

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send dead-letter records back for processing.",
        discussion: """
            Reads the dead-letter topic from its start to its end at the time the command starts, and writes the \
            selected records to the retry topic, where the running service takes them up: a failed request is \
            retried for the vendors that failed, a rejected message is read again as a new request. Prints one \
            line per selected record (request id, error code, dead-letter coordinates; never identifiers) and \
            exits once every record written is acknowledged by the broker.
            """
    )

    @Option(name: .long, help: "The YAML configuration file of the service whose dead letters to replay.")
    var config: String?

    @Option(name: .long, help: "Brokers to use instead of kafka.bootstrap_servers.")
    var bootstrapServers: String?

    @Option(name: .long, help: "Replay only this request id (repeatable).")
    var requestID: [String] = []

    @Option(name: .long, help: "Replay only records with this error code, such as retries_exhausted (repeatable).")
    var code: [String] = []

    @Flag(name: .long, help: "List what would be replayed without writing anything.")
    var dryRun = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "erasure-relay.replay", sink: JSONLogHandler.standardError)
        let configuration = try RelayConfiguration.load(file: config) ?? RelayConfiguration()
        let brokers = try serviceBrokers(bootstrapServers, in: configuration, for: "replay")
        guard !configuration.parking.signingKeys.isEmpty else {
            throw ConfigurationError(
                key: "parking.signing_key",
                message: "is required: replay checks the signature of failed requests and signs what it writes"
            )
        }
        let replay = DeadLetterReplay(
            selection: .init(requestIDs: Set(requestID), errorCodes: Set(code)),
            signer: RecordSigner(keys: configuration.parking.signingKeys)
        )
        let summary = try await replay.run(
            kafka: configuration.kafka.clients(bootstrapServers: brokers),
            topics: configuration.kafka,
            dryRun: dryRun,
            logger: logger
        ) { record in
            let fields = [
                record.requestID ?? "-", record.errorCode.isEmpty ? "-" : record.errorCode,
                "\(record.deadLetter.topic)[\(record.deadLetter.partition)]@\(record.offset)",
            ]
            switch record.replay {
            case .success: print(fields.joined(separator: "\t"))
            case .failure(let rejection): print((fields + ["unreadable: \(rejection)"]).joined(separator: "\t"))
            }
        }
        say(
            "\(dryRun ? "Would replay" : "Replayed") \(summary.replayed) record(s) to \(configuration.kafka.retryTopic); "
                + "\(summary.skipped) not selected, \(summary.unreadable) unreadable."
        )
        if summary.unreadable > 0 { throw ExitCode(2) }
    }
}

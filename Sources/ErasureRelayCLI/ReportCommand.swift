import ArgumentParser
import ErasureRelay
import Kafka

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarize the outcome topic for compliance: requests, completions, deadlines, failures.",
        discussion: """
            Reads the outcome topic from --since ago to its end at the time the command starts, and prints, for \
            each regulation and each vendor, the requests, completed, failed, rejected and skipped, and those \
            completed before their deadline; the median and 95th percentile of the time from submitted_at to \
            completed_at; and every failed or rejected request with its error code and vendor errors. A request \
            with several outcomes (redelivered, replayed) counts once, as its latest outcome in the log says. \
            Outcomes hold no identifiers, and neither does the report.
            """
    )

    @Option(
        name: .long,
        help: "The YAML configuration file of the service whose outcomes to report on; without it, the defaults."
    )
    var config: String?

    @Option(name: .long, help: "Brokers to use instead of kafka.bootstrap_servers.")
    var bootstrapServers: String?

    @Option(name: .long, help: "How far back to read: a number of days, hours or minutes, such as 30d, 12h or 90m.")
    var since = "30d"

    @Option(name: .long, help: "text, csv or json.")
    var format: ComplianceReport.Format = .text

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard Self.seconds(in: since) != nil else {
            throw ValidationError("--since: '\(since)' is not a period such as 30d, 12h or 90m")
        }
    }

    func run() async throws {
        let logger = try logging.bootstrap(label: "erasure-relay.report", sink: JSONLogHandler.standardError)
        // Only the brokers and the outcome topic are read: a report needs no vendor or signing key.
        let configuration = try RelayConfiguration.load(file: config) ?? RelayConfiguration()
        let brokers = try serviceBrokers(bootstrapServers, in: configuration, for: "report")
        let until = Timestamp.now()
        let start = Timestamp(millisecondsSinceEpoch: until.millisecondsSinceEpoch - Self.seconds(in: since)! * 1000)
        let tally = try await OutcomeTopicReader.tally(
            kafka: configuration.kafka.clients(bootstrapServers: brokers).consumer,
            topic: configuration.kafka.outcomeTopic,
            since: start,
            logger: logger
        )
        print(tally.report(since: start, until: until).rendered(as: format), terminator: "")
    }

    /// The seconds in a period such as `30d`, `12h` or `90m`.
    static func seconds(in period: String) -> Int64? {
        guard let unit = period.last, let count = Int64(period.dropLast()), count > 0, count <= 36_500 else {
            return nil
        }
        switch unit {
        case "d": return count * 86_400
        case "h": return count * 3600
        case "m": return count * 60
        default: return nil
        }
    }
}

extension ComplianceReport.Format: ExpressibleByArgument {}

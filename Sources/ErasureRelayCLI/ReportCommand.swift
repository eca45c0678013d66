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

            Every record is checked against the signing keys (parking.signing_key); records the relay did not sign \
            are listed apart and never counted. --request-id prints everything the topic holds about one request \
            instead.

            Exit codes: 0, the report is made and every record checked out; 3, the topic holds records the relay \
            did not sign (listed in the report); 4, the period reaches before the earliest record still on the \
            topic (the report is incomplete); 1, the report could not be made.
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

    @Option(name: .long, help: "Print every outcome record of this request id instead of the summary.")
    var requestID: String?

    /// The topic holds records the relay did not sign.
    static let unverifiedRecordsExitCode: Int32 = 3
    /// The period reaches before the earliest record still on the topic.
    static let incompleteExitCode: Int32 = 4

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard Self.seconds(in: since) != nil else {
            throw ValidationError("--since: '\(since)' is not a period such as 30d, 12h or 90m")
        }
    }

    func run() async throws {
        let logger = try logging.bootstrap(label: "erasure-relay.report", sink: JSONLogHandler.standardError)
        // The brokers, the outcome topic and the signing keys are read: a report needs no vendor.
        let configuration = try RelayConfiguration.load(file: config) ?? RelayConfiguration()
        let brokers = try serviceBrokers(bootstrapServers, in: configuration, for: "report")
        let signer =
            configuration.parking.signingKeys.isEmpty ? nil : RecordSigner(keys: configuration.parking.signingKeys)
        if signer == nil {
            logger.warning(
                "No signing key given: no record's signature is checked",
                metadata: ["key": "parking.signing_key"]
            )
        }
        let until = Timestamp.now()
        let start = Timestamp(millisecondsSinceEpoch: until.millisecondsSinceEpoch - Self.seconds(in: since)! * 1000)
        let kafka = configuration.kafka.clients(bootstrapServers: brokers).consumer
        let topic = configuration.kafka.outcomeTopic
        if let requestID {
            var history = RequestHistory(requestID: requestID)
            _ = try await OutcomeTopicReader.read(
                kafka: kafka,
                topic: topic,
                since: start,
                signer: signer,
                logger: logger
            ) {
                history.add($0, verified: signer != nil)
            }
            history.sort()
            print(history.rendered(as: format), terminator: "")
            if history.entries.contains(where: \.signature.isForged) {
                throw ExitCode(Self.unverifiedRecordsExitCode)
            }
            return
        }
        let tally = try await OutcomeTopicReader.tally(
            kafka: kafka,
            topic: topic,
            since: start,
            signer: signer,
            logger: logger
        )
        let report = tally.report(since: start, until: until)
        print(report.rendered(as: format), terminator: "")
        if report.unverifiedRecordCount > 0 { throw ExitCode(Self.unverifiedRecordsExitCode) }
        if report.incompleteBefore != nil { throw ExitCode(Self.incompleteExitCode) }
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

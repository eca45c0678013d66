import ArgumentParser
import ErasureRelay
import Foundation

struct VendorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vendors",
        abstract: "Inspect the vendors a configuration defines.",
        subcommands: [RenderCommand.self]
    )

    struct RenderCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render",
            abstract: "Print the HTTP calls a request would produce for each configured vendor; send nothing.",
            discussion: """
                Shows what a reviewer needs to check a vendor definition: each call's method, URL, headers and body, \
                with credentials masked. Each call carries only this request's identifiers; a running lane may \
                batch them with other requests'.
                """
        )

        @Option(name: .long, help: "The YAML configuration file.")
        var config: String

        @Option(name: .long, help: "A file holding one request, as it would appear on the request topic.")
        var request: String

        @OptionGroup var logging: LoggingOptions

        func run() throws {
            _ = try logging.bootstrap(label: "erasure-relay.vendors", sink: JSONLogHandler.standardError)
            // Only the vendors matter here: brokers, signing keys and the rest are not read.
            let configuration = try RelayConfiguration(contentsOfFile: config, vendorsOnly: true)
            guard let bytes = FileManager.default.contents(atPath: request) else {
                throw ValidationError("--request: cannot read \(request)")
            }
            let decoder = RequestDecoder(
                limits: .init(maxMessageBytes: configuration.pipeline.maxMessageBytes),
                knownVendors: Array(Set(VendorID.builtIn).union(configuration.vendors.keys))
            )
            let erasure: ErasureRequest
            switch decoder.decode(Array(bytes)) {
            case .success(let decoded):
                erasure = decoded
            case .failure(let rejected):
                let field = rejected.rejection.field.map { " at \($0)" } ?? ""
                throw ValidationError(
                    "the request would be rejected (\(rejected.rejection.code.rawValue)\(field)): "
                        + rejected.rejection.message
                )
            }
            print(Self.render(erasure, configuration: configuration, now: .now()))
        }

        static func render(_ request: ErasureRequest, configuration: RelayConfiguration, now: Timestamp) -> String {
            var lines: [String] = []
            for vendor in (request.vendors ?? configuration.vendors.keys.sorted()) {
                guard let settings = configuration.vendors[vendor]?.maskingSecrets() else {
                    lines.append("\(vendor): not configured here; the request's outcome would mark it failed")
                    continue
                }
                let adapter = settings.makeAdapter()
                let calls = adapter.batches(of: adapter.items(for: request), now: now)
                guard !calls.isEmpty else {
                    lines.append("\(vendor): no call; the request has no identifier this vendor takes (skipped)")
                    continue
                }
                lines.append("\(vendor): \(calls.count) call\(calls.count == 1 ? "" : "s")")
                for items in calls {
                    let call = adapter.call(for: items, now: now)
                    lines.append("")
                    let contents = CallContents(call)
                    let missing = items.filter { !contents.carries($0) }.count
                    if missing > 0 {
                        // What the lane would do with this call: it reads every call back before sending it.
                        lines.append(
                            "  NOT SENT: the call leaves out \(missing) of its \(items.count) identifier item(s); the "
                                + "relay fails them with a definition error"
                        )
                    }
                    lines.append("  \(call.method.rawValue) \(settings.displayedBaseURL)\(call.pathAndQuery)")
                    for (name, value) in call.headers { lines.append("  \(name): \(value)") }
                    if let grant = (settings.account as? HTTPVendorDefinition)?.auth.grant {
                        lines.append("  Authorization: Bearer <token from \(grant.tokenURL), fetched by the lane>")
                    }
                    if let body = call.body {
                        lines.append("")
                        lines.append("  " + String(decoding: body, as: UTF8.self))
                    }
                    if let lookup = (settings.account as? HTTPVendorDefinition)?.lookup {
                        lines.append("")
                        lines.append(
                            "  Then, for each match this look-up finds (at most \(lookup.maxMatches)), a call of "
                                + "request.method and request.url carrying its {found_id}."
                        )
                    }
                }
                if let job = (settings.account as? HTTPVendorDefinition)?.job,
                    let status = adapter.jobStatusItem(for: "JOB_ID").map({ adapter.call(for: [$0], now: now) })
                {
                    lines.append("")
                    lines.append(
                        "  Then, every \(job.checkEverySeconds) s until the job is done or failed (at most "
                            + "\(job.giveUpAfterSeconds) s), a status call for each job an accepted answer names:"
                    )
                    lines.append("  \(status.method.rawValue) \(settings.displayedBaseURL)\(status.pathAndQuery)")
                }
                lines.append("")
            }
            return lines.joined(separator: "\n")
        }
    }
}

import ArgumentParser
import ErasureRelay
import ErasureRelaySandboxBridge
import Foundation
import ServiceLifecycle
import VendorSandbox

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Serve strict stand-ins of the vendor APIs on loopback ports: a staging tool.",
        discussion: """
            Prints a vendors: section for erasure-relay's configuration that points at the stand-ins. Each port also \
            serves GET /_sandbox/record, POST /_sandbox/faults, POST /_sandbox/quota and POST /_sandbox/reset.
            """
    )

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(
        name: .long,
        help:
            "First port; the four stand-ins take it and the next three, declared vendors the ports after. 0 picks free ports."
    )
    var port: Int = 0

    @Option(
        name: .long,
        help: "A quota, as VENDOR=REQUESTS/SECONDS (e.g. braze=100/1), for a built-in or declared vendor. Repeatable."
    )
    var quota: [String] = []

    @Option(name: .long, help: "Latency added to every answer, in milliseconds.")
    var latencyMs: Int = 0

    @Option(
        name: .long,
        help: "An erasure-relay configuration: each vendor it declares with kind: http gets a stand-in too."
    )
    var config: String?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        // Standard output is the vendors: section, to be saved as YAML; the logs go beside it.
        let logger = try logging.bootstrap(label: "erasure-relay.sandbox", sink: JSONLogHandler.standardError)
        var configuration = SandboxConfiguration()
        configuration.host = host
        for (index, vendor) in SandboxVendor.allCases.enumerated() {
            configuration.ports[vendor] = port == 0 ? 0 : port + index
            configuration.latencyMilliseconds[vendor] = latencyMs
        }
        var quotas: [String: SandboxConfiguration.Quota] = [:]
        for entry in quota {
            let parts = entry.split(whereSeparator: { $0 == "=" || $0 == "/" })
            guard parts.count == 3, let requests = Int(parts[1]), let seconds = Double(parts[2]), requests > 0,
                seconds > 0
            else { throw ValidationError("--quota: '\(entry)' is not VENDOR=REQUESTS/SECONDS") }
            quotas[String(parts[0])] = .init(requests: requests, windowSeconds: seconds)
        }
        for vendor in SandboxVendor.allCases {
            if let quota = quotas.removeValue(forKey: vendor.rawValue) { configuration.quotas[vendor] = quota }
        }
        var declared: [VendorID: VendorSettings] = [:]
        if let config {
            declared = try RelayConfiguration(contentsOfFile: config, vendorsOnly: true).vendors.filter {
                !$0.key.isBuiltIn
            }
            // A declared vendor's stand-in meters its configured quota, unless --quota names it.
            for (name, quota) in quotas {
                guard let vendor = VendorID(rawValue: name), declared[vendor] != nil else { continue }
                declared[vendor]!.rateLimit = .init(
                    requests: quota.requests,
                    windowSeconds: max(1, Int(quota.windowSeconds))
                )
                quotas[name] = nil
            }
            for (offset, vendor) in declared.keys.sorted().enumerated() {
                guard
                    let standIn = DeclaredStandIn(
                        vendor: vendor,
                        settings: declared[vendor]!,
                        unknownUserPrefix: configuration.unknownUserPrefix,
                        port: port == 0 ? 0 : port + SandboxVendor.allCases.count + offset,
                        latencyMilliseconds: latencyMs
                    )
                else { continue }
                configuration.declared.append(standIn)
            }
        }
        if let unknown = quotas.keys.sorted().first {
            throw ValidationError("--quota: \(unknown) is neither a built-in vendor nor one --config declares")
        }
        let sandbox = VendorSandbox(configuration: configuration, logger: logger)
        let announce = SandboxAnnouncement(sandbox: sandbox, declared: declared)
        let group = ServiceGroup(
            services: [sandbox, announce],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}

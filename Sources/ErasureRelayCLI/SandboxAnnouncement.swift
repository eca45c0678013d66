import ArgumentParser
import ErasureRelay
import ErasureRelaySandboxBridge
import Foundation
import ServiceLifecycle
import VendorSandbox

struct SandboxAnnouncement: Service {
    let sandbox: VendorSandbox
    let declared: [VendorID: VendorSettings]

    func run() async throws {
        let settings = try await sandbox.relayVendorSettings(declared: declared)
        var lines = ["vendors:"]
        for vendor in settings.keys.sorted() {
            let setting = settings[vendor]!
            lines.append("  \(vendor.rawValue):")
            lines.append("    base_url: \"\(setting.baseURL)\"")
            guard setting.vendor.isBuiltIn else {
                // A declared vendor's definition stays in the configuration it came from; only its host changes.
                lines.removeLast(2)
                lines.append(
                    "  # \(vendor.rawValue): declared in --config; set its base_url to \"\(setting.displayedBaseURL)\""
                )
                continue
            }
            lines += setting.account.configurationLines(revealingSecrets: true).map { "    " + $0 }
            lines.append(
                "    rate_limit: { requests: \(setting.rateLimit.requests), window_seconds: \(setting.rateLimit.windowSeconds) }"
            )
        }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try await gracefulShutdown()
    }
}

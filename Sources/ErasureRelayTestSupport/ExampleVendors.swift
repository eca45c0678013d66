import ErasureRelay
import Foundation
import Testing
import VendorSandbox

/// The example definitions under `examples/vendors/`, read with every `${VAR}` they name set by ``sandboxCredential(_:)``.
public func exampleVendor(_ file: String, base: String? = nil) throws -> (VendorID, VendorSettings) {
    let text = try String(
        contentsOf: packageRoot().appendingPathComponent("examples/vendors/\(file)"),
        encoding: .utf8
    )
    var environment: [String: String] = [:]
    for match in text.matches(of: /\$\{([A-Z0-9_]+)\}/) {
        environment[String(match.1)] = sandboxCredential(String(match.1))
    }
    let configuration = try RelayConfiguration(yaml: text, environment: environment)
    let (vendor, settings) = try #require(configuration.vendors.first)
    guard let base else { return (vendor, settings) }
    var pointed = settings
    pointed.baseURL = base
    return (vendor, pointed)
}

/// The value of a variable an example names: the sandbox's credentials for the seed vendors' twins, so that they can
/// call its stand-ins, and a placeholder for the rest.
public func sandboxCredential(_ variable: String) -> String {
    let sandbox = SandboxConfiguration.Credentials()
    return switch variable {
    case "BRAZE_API_KEY": sandbox.brazeAPIKey
    case "MOENGAGE_WORKSPACE_ID": sandbox.moengageWorkspaceID
    case "MOENGAGE_API_KEY": sandbox.moengageAPIKey
    case "MOENGAGE_GDPR_APP_ID": sandbox.moengageGDPRAppID
    case "MOENGAGE_GDPR_API_KEY": sandbox.moengageGDPRAPIKey
    case "ENGAGELAB_APP_KEY": sandbox.engagelabAppKey
    case "ENGAGELAB_MASTER_SECRET": sandbox.engagelabMasterSecret
    default: "value-of-\(variable.lowercased())"
    }
}

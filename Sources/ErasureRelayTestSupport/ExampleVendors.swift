import CryptoExtras
import ErasureRelay
import ErasureRelaySandboxBridge
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
    return (vendor, settings.pointed(at: base))
}

/// The value of a variable an example names: the sandbox's credentials for the seed vendors' twins (`BRAZE_API_KEY` is
/// braze's `api_key`), so that they can call its stand-ins, and a placeholder for the rest.
public func sandboxCredential(_ variable: String) -> String {
    for vendor in SandboxVendor.allCases {
        for (key, value) in vendor.credentials where "\(vendor.rawValue)_\(key)".uppercased() == variable {
            return value
        }
    }
    if variable.hasSuffix("_PRIVATE_KEY") { return testPrivateKeyPEM }
    return "value-of-\(variable.lowercased())"
}

/// Subjects that between them hold every identifier kind the seed vendors take, in many combinations, with awkward
/// characters and case: for comparing a seed vendor's twin with its built-in adapter. The seed vendors make 8 (Braze),
/// 150 (MoEngage), 2 (MoEngage GDPR) and 40 (EngageLab) calls for them.
public let twinComparisonSubjects: [Subject] = (0..<120).map { index in
    Subject(
        externalID: "u-\(index)",
        brazeID: index % 3 == 0 ? "b-\(index)" : nil,
        moengageID: index % 4 == 0 ? "m-\(index)" : nil,
        email: index % 2 == 0 ? "P\(index)@Example.com" : nil,
        phone: index % 5 == 0 ? "+1555000\(String(format: "%04d", index))" : nil,
        userAliases: index % 9 == 0 ? [UserAlias(aliasName: "alias-\(index)", aliasLabel: "crm")] : [],
        engagelabRegistrationIDs: index % 6 == 0 ? ["reg/\(index)?#", "reg-\(index)b"] : [],
        googleAdvertisingID: index % 7 == 0 ? "gaid-\(index)" : nil,
        advertisingIdentifier: index % 8 == 0 ? "idfa-\(index)" : nil
    )
}

/// What an answer means for the request's vendor status, on which a built-in adapter and its declared twin must agree:
/// the reference (unless a stand-in makes one up per call), the deleted count and the note of an acceptance, and the
/// wait of a retry. A refusal's reason is the vendor's text, worded apart by each.
public func vendorStatusMeaning(of result: CallResult, withReference: Bool = true) -> String {
    switch result {
    case .accepted(let reference, let deleted, let note):
        "accepted \(withReference ? reference ?? "-" : "") \(deleted.map(String.init) ?? "-") \(note ?? "")"
    case .rejected: "failed"
    case .retriable(_, let wait): "retried after \(wait.map { String(Int($0.rounded())) } ?? "backoff")"
    }
}

/// An RSA key made once per test process, standing in for a service account's private key (`*_PRIVATE_KEY`).
public let testPrivateKeyPEM: String = {
    // Generating a key takes a moment; every example and test shares this one.
    (try? _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation) ?? ""
}()

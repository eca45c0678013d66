import ErasureRelay
import Foundation
import VendorSandbox

extension VendorSandbox {
    /// Vendor settings that point erasure-relay at this sandbox's stand-ins, with the sandbox's credentials and
    /// quotas, once it is listening. They are read as a configuration file is, so each vendor's account comes from
    /// its own definition.
    ///
    /// - Parameter declared: vendors declared in configuration; those this sandbox has a stand-in for are pointed at
    ///   it and returned with the built-in ones.
    /// - Throws: ``ConfigurationError`` when the sandbox's credentials are not ones the relay accepts, such as an
    ///   empty key.
    public func relayVendorSettings(
        declared: [VendorID: VendorSettings] = [:]
    ) async throws(ConfigurationError) -> [VendorID: VendorSettings] {
        let urls = await baseURLsByName()
        var yaml = "vendors:\n"
        for vendor in SandboxVendor.allCases {
            yaml += "  \(vendor.rawValue):\n    base_url: \(Self.quoted(urls[vendor.rawValue] ?? ""))\n"
            for (key, value) in vendor.credentials {
                yaml += "    \(key): \(Self.quoted(value))\n"
            }
            if let quota = configuration.quotas[vendor] {
                yaml +=
                    "    rate_limit: { requests: \(quota.requests), window_seconds: \(max(1, Int(quota.windowSeconds))) }\n"
            }
        }
        var settings = try RelayConfiguration(yaml: yaml, environment: [:]).vendors
        for (vendor, setting) in declared where !vendor.isBuiltIn {
            guard let url = urls[vendor.rawValue] else { continue }
            settings[vendor] = setting.pointed(at: url)
        }
        return settings
    }

    /// `text` as a YAML scalar that reads back unchanged: JSON's double-quoted form, which YAML shares.
    private static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data()
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}

extension VendorSettings {
    /// These settings with the vendor's API at `url`, as a stand-in serves it: the base URL and, for an OAuth 2.0
    /// vendor, the token endpoint, which the stand-in serves on the token URL's own path.
    /// - Parameter url: the stand-in's base URL.
    public func pointed(at url: String) -> VendorSettings {
        var settings = self
        settings.baseURL = url
        guard var definition = account as? HTTPVendorDefinition else { return settings }
        switch definition.auth {
        case .oauth2ClientCredentials(var grant):
            grant.tokenURL = url + grant.endpoint.pathAndQuery
            definition.auth = .oauth2ClientCredentials(grant)
        case .oauth2JWTBearer(var grant):
            // The assertion still names the vendor's token endpoint as its audience, as the vendor checks it.
            grant.audience = grant.audience ?? grant.tokenURL
            grant.tokenURL = url + grant.endpoint.pathAndQuery
            definition.auth = .oauth2JWTBearer(grant)
        case .none, .bearer, .basic, .header, .query:
            break
        }
        settings.account = definition
        return settings
    }
}

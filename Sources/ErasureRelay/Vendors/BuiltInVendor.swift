/// What erasure-relay knows of a vendor it ships an adapter for, before any configuration: the documented quota and
/// batch limit, the hosts the vendor's console names, and how its account is read.
///
/// Each built-in vendor is one folder beside this file (its definition, account and adapter) and one line of
/// ``registry``.
public struct BuiltInVendor: Sendable {
    public let id: VendorID
    /// The quota the vendor documents: the default for `rate_limit`.
    public let documentedRateLimit: VendorSettings.RateLimit
    /// The most identifiers (users, for moengage_gdpr) one call may carry.
    public let maxBatchSize: Int
    /// The configuration key that names one of ``hosts``, such as Braze's `instance`.
    public let hostKey: String
    /// Base URLs by the names the vendor's console shows.
    public let hosts: [String: String]
    /// The host used when neither `base_url` nor ``hostKey`` is given.
    public let defaultHost: String
    /// Reads the vendor's credentials and options from its configuration.
    let readAccount: @Sendable (ConfigNode) throws(ConfigurationError) -> any VendorAccount

    /// Every built-in vendor, in the order they are listed everywhere.
    public static let registry: [BuiltInVendor] = [.braze, .moengage, .moengageGDPR, .engagelab]

    /// The built-in vendor named `id`, or nil for a vendor declared in configuration.
    public static func named(_ id: VendorID) -> BuiltInVendor? {
        registry.first { $0.id == id }
    }
}

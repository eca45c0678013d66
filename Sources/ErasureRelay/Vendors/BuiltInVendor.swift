/// What erasure-relay knows of a vendor it ships an adapter for, before any configuration: the documented quota and
/// batch limit, and the hosts the vendor's console names.
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

    /// The built-in vendor named `id`, or nil for a vendor declared in configuration.
    public static func named(_ id: VendorID) -> BuiltInVendor? {
        registry.first { $0.id == id }
    }

    /// Every built-in vendor, in ``VendorID/builtIn`` order.
    public static let registry: [BuiltInVendor] = [
        BuiltInVendor(
            id: .braze,
            documentedRateLimit: .init(requests: 20_000, windowSeconds: 60),
            maxBatchSize: 50,
            hostKey: "instance",
            hosts: brazeInstances,
            defaultHost: "US-01"
        ),
        BuiltInVendor(
            id: .moengage,
            documentedRateLimit: .init(requests: 5000, windowSeconds: 60),
            maxBatchSize: 1,
            hostKey: "data_center",
            hosts: moengageDataCenters,
            defaultHost: "01"
        ),
        BuiltInVendor(
            id: .moengageGDPR,
            documentedRateLimit: .init(requests: 1000, windowSeconds: 60),
            maxBatchSize: 100,
            hostKey: "data_center",
            hosts: moengageDataCenters,
            defaultHost: "01"
        ),
        BuiltInVendor(
            id: .engagelab,
            // The App Push REST API's limit per AppKey, shared with the account's push traffic.
            documentedRateLimit: .init(requests: 500, windowSeconds: 1),
            maxBatchSize: 1,
            hostKey: "region",
            hosts: engagelabRegions,
            defaultHost: "sgp"
        ),
    ]

    private static let brazeInstances: [String: String] = {
        var table: [String: String] = [:]
        for number in 1...8 { table["US-0\(number)"] = "https://rest.iad-0\(number).braze.com" }
        table["US-10"] = "https://rest.us-10.braze.com"
        table["EU-01"] = "https://rest.fra-01.braze.eu"
        table["EU-02"] = "https://rest.fra-02.braze.eu"
        table["AU-01"] = "https://rest.au-01.braze.com"
        table["ID-01"] = "https://rest.id-01.braze.com"
        table["JP-01"] = "https://rest.jp-01.braze.com"
        table["KR-01"] = "https://rest.kr-01.braze.com"
        return table
    }()

    private static let moengageDataCenters: [String: String] = Dictionary(
        uniqueKeysWithValues: ["01", "02", "03", "04", "05", "06", "101"].map { ($0, "https://api-\($0).moengage.com") }
    )

    private static let engagelabRegions: [String: String] = Dictionary(
        uniqueKeysWithValues: ["sgp", "hk", "usva", "defra", "jpn", "bra"].map {
            ($0, "https://pushapi-\($0).engagelab.com")
        }
    )
}

/// The vendors' documented hosts, by the names their consoles show.
public enum VendorHosts {
    public static func baseURL(vendor: VendorID, name: String) -> String? {
        guard let table = BuiltInVendor.named(vendor)?.hosts else { return nil }
        return table[name.uppercased()] ?? table[name.lowercased()]
    }

    public static func names(vendor: VendorID) -> [String] {
        BuiltInVendor.named(vendor)?.hosts.keys.sorted() ?? []
    }

    /// The default host of a built-in vendor; nil for a declared one, which always names its `base_url`.
    public static func defaultBaseURL(vendor: VendorID) -> String? {
        BuiltInVendor.named(vendor).flatMap { $0.hosts[$0.defaultHost] }
    }
}

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

/// The version reported in `User-Agent` and by `erasure-relay --version`.
public let erasureRelayVersion = "0.1.0"

extension VendorSettings {
    /// The adapter for this vendor's API with these settings.
    public func makeAdapter() -> any VendorAdapter {
        account.makeAdapter(settings: self, userAgent: "erasure-relay/\(erasureRelayVersion)")
    }

    /// The same settings with every credential replaced by `********`, so that calls built from them can be shown.
    public func maskingSecrets() -> VendorSettings {
        var masked = self
        masked.account = account.masked()
        return masked
    }
}

/// A vendor's credentials and options, as its configuration gives them: what turns lane settings into an adapter.
///
/// Each built-in vendor has its own account type, read by its ``BuiltInVendor`` entry; a vendor declared in
/// configuration has an ``HTTPVendorDefinition``.
public protocol VendorAccount: Sendable {
    /// The adapter for this account, with the batching of `settings`.
    func makeAdapter(settings: VendorSettings, userAgent: String) -> any VendorAdapter
    /// The account's configuration keys, one YAML line each, as `check-config` shows them (secrets masked) or as a
    /// configuration file needs them (`revealingSecrets`, for the sandbox's own credentials).
    func configurationLines(revealingSecrets: Bool) -> [String]
    /// The same account with every secret replaced by `********`, so that calls built from it can be shown.
    func masked() -> any VendorAccount
}

extension Secret {
    /// The value as a configuration line shows it: masked unless `revealing`.
    func shown(revealing: Bool) -> String {
        revealing ? value : description
    }

    static let mask = Secret("********")
}

/// A built-in vendor's stand-in as the sandbox lists it: the quota the vendor documents, and how it is made.
///
/// Each is one folder beside this file (the stand-in and its entry) and one line of ``registry``, as each
/// built-in vendor of erasure-relay is one folder and one registry line.
struct BuiltInStandIn: Sendable {
    let vendor: SandboxVendor
    /// The default for ``SandboxConfiguration/quotas``.
    let documentedQuota: SandboxConfiguration.Quota
    /// Makes the stand-in, given the prefix that marks identifiers the vendor does not hold.
    let make: @Sendable (_ unknownUserPrefix: String) -> any StandIn

    /// Every built-in stand-in, in the order erasure-relay lists its built-in vendors.
    static let registry: [BuiltInStandIn] = [.braze, .moengage, .moengageGDPR, .engagelab]

    static func of(_ vendor: SandboxVendor) -> BuiltInStandIn? {
        registry.first { $0.vendor == vendor }
    }
}

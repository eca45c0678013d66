/// A built-in vendor the sandbox stands in for, by the name erasure-relay's configuration gives it.
public struct SandboxVendor: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// The built-in vendor called `rawValue`; nil when the sandbox has no built-in stand-in of that name.
    public init?(rawValue: String) {
        guard BuiltInStandIn.registry.contains(where: { $0.vendor.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    init(builtIn name: String) {
        rawValue = name
    }

    /// Every built-in vendor, in the order erasure-relay lists them.
    public static var allCases: [SandboxVendor] { BuiltInStandIn.registry.map(\.vendor) }

    /// The credentials its stand-in accepts, by erasure-relay's configuration key for each: fixed, well-known
    /// sandbox values.
    public var credentials: [(key: String, value: String)] {
        BuiltInStandIn.of(self)?.make(SandboxConfiguration().unknownUserPrefix).relayCredentials ?? []
    }

    public var description: String { rawValue }
}

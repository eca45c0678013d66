/// A configuration problem, naming the key at fault and what is wrong with it.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dotted path of the key, such as `vendors.braze.rate_limit.requests`; empty for the whole file.
    public let key: String
    public let message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String {
        key.isEmpty ? "configuration: \(message)" : "configuration key '\(key)': \(message)"
    }
}

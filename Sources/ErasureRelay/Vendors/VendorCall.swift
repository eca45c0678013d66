import NIOHTTP1

/// An HTTP call to make, relative to the vendor's base URL.
public struct VendorCall: Sendable, Hashable {
    /// The HTTP method.
    public var method: HTTPMethod
    /// Path and query, already percent-encoded, starting with `/`.
    public var pathAndQuery: String
    /// Request headers, credentials included; never logged.
    public var headers: [(String, String)]
    /// The body, if the call has one.
    public var body: [UInt8]?

    public init(method: HTTPMethod, pathAndQuery: String, headers: [(String, String)], body: [UInt8]?) {
        self.method = method
        self.pathAndQuery = pathAndQuery
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: VendorCall, rhs: VendorCall) -> Bool {
        lhs.method == rhs.method && lhs.pathAndQuery == rhs.pathAndQuery && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(pathAndQuery)
        hasher.combine(body)
    }
}

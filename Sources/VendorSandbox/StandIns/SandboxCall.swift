/// A call as a stand-in sees it: the raw request target, so that encoding mistakes are visible.
public struct SandboxCall: Sendable {
    public var method: String
    /// The host and port the caller addressed (the Host header of HTTP/1.1).
    public var authority: String?
    /// The path as sent, still percent-encoded.
    public var rawPath: String
    /// The query's fields, decoded; the last of a repeated name.
    public var query: [String: String]
    /// The query as sent, still percent-encoded.
    public var rawQuery: String?
    /// Header values by lower-cased name.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(
        method: String,
        authority: String? = nil,
        rawPath: String,
        query: [String: String] = [:],
        rawQuery: String?,
        headers: [String: String],
        body: [UInt8]
    ) {
        self.method = method
        self.authority = authority
        self.rawPath = rawPath
        self.query = query
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
    }
}

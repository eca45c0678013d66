import NIOHTTP1

/// A vendor's answer.
public struct VendorResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The response headers, such as `Retry-After`.
    public var headers: HTTPHeaders
    /// The response body as received.
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

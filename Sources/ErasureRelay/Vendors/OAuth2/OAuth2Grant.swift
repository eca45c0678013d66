/// How a lane obtains its OAuth 2.0 bearer token: the request it sends to the token endpoint.
public protocol OAuth2Grant: Sendable {
    /// The token endpoint, an absolute URL: https, or http to this machine.
    var tokenURL: String { get }
    /// The token request, with the credentials from `secrets`, made at `now`.
    /// - Throws: ``VendorTransportError/tokenAssertion`` when the request cannot be signed.
    func tokenRequest(secrets: [String: Secret], now: Timestamp) throws(VendorTransportError) -> VendorCall
}

extension OAuth2Grant {
    /// The token URL split where the transport wants it: scheme and authority, then path and query.
    package var endpoint: (origin: String, pathAndQuery: String) {
        guard let schemeEnd = tokenURL.range(of: "://") else { return (tokenURL, "/") }
        let pathStart = tokenURL[schemeEnd.upperBound...].firstIndex(of: "/") ?? tokenURL.endIndex
        let path = tokenURL[pathStart...]
        return (String(tokenURL[..<pathStart]), path.isEmpty ? "/" : String(path))
    }

    /// A form POST to the token endpoint's path.
    func formRequest(_ fields: [(String, String)], headers extra: [(String, String)] = []) -> VendorCall {
        let body = fields.map { "\(PercentEncoding.formField($0.0))=\(PercentEncoding.formField($0.1))" }
            .joined(separator: "&")
        return VendorCall(
            method: .POST,
            pathAndQuery: endpoint.pathAndQuery,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")] + extra,
            body: Array(body.utf8)
        )
    }
}

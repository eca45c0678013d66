import Foundation

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

extension SandboxCall {
    /// The fields of a form-encoded text, such as a query or a form body, decoded in order; nil if one is not
    /// decodable.
    /// - Parameter text: the form-encoded text.
    public static func formFields(_ text: String) -> [(name: String, value: String)]? {
        var fields: [(name: String, value: String)] = []
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (raw: Substring) in raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { return nil }
            fields.append((name, value))
        }
        return fields
    }

    /// The fields of a form-encoded body; nil when the call has another content type or a field is not decodable.
    public var formBody: [(name: String, value: String)]? {
        let mediaType = headers["content-type"]?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard mediaType == "application/x-www-form-urlencoded" else { return nil }
        return Self.formFields(String(decoding: body, as: UTF8.self))
    }
}

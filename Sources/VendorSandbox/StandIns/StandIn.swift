import Foundation

/// A call as a stand-in sees it: the raw request target, so that encoding mistakes are visible.
struct SandboxCall: Sendable {
    var method: String
    /// The host and port the caller addressed (the Host header of HTTP/1.1).
    var authority: String?
    /// The path as sent, still percent-encoded.
    var rawPath: String
    var query: [String: String]
    var rawQuery: String?
    /// Header values by lower-cased name.
    var headers: [String: String]
    var body: [UInt8]
}

/// A stand-in's answer. `deletions` is set for an accepted call, so that the ledger records what was deleted.
struct SandboxAnswer: Sendable {
    var status: Int
    var body: String
    var headers: [(String, String)] = []
    var deletions: [(kind: String, identifiers: [String])] = []
    /// The identifiers (users, for moengage_gdpr) the call deleted at once.
    var batchSize = 0
    /// Set for a well-formed call about a user or device the vendor does not hold: not a malformed call.
    var unknownUser = false

    static func json(_ status: Int, _ object: Any) -> SandboxAnswer {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return SandboxAnswer(status: status, body: String(decoding: data, as: UTF8.self))
    }
}

/// One vendor API's rules, as its documentation states them.
protocol StandIn: Sendable {
    /// The vendor's name, as erasure-relay's configuration and the sandbox's output give it.
    var name: String { get }
    func answer(_ call: SandboxCall) -> SandboxAnswer
    /// The answer when the quota is exceeded.
    func tooManyRequests(retryAfterSeconds: Int, resetEpochSeconds: Int) -> SandboxAnswer
    /// Headers every answer carries (Braze's rate-limit headers).
    func commonHeaders(quota: SandboxConfiguration.Quota, resetEpochSeconds: Int) -> [(String, String)]
    /// The credentials it accepts, as erasure-relay's configuration keys for the vendor name them.
    var relayCredentials: [(key: String, value: String)] { get }
}

extension StandIn {
    func commonHeaders(quota: SandboxConfiguration.Quota, resetEpochSeconds: Int) -> [(String, String)] { [] }
    var relayCredentials: [(key: String, value: String)] { [] }
}

enum SandboxParsing {
    static func basicCredentials(_ header: String?) -> (String, String)? {
        guard let header, header.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6))),
            let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    static func jsonObject(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    static func isJSONContentType(_ value: String?) -> Bool {
        guard let value else { return false }
        return value.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
            == "application/json"
    }

    /// Decodes one path segment; nil if it holds a character that must have been percent-encoded.
    static func decodeSegment(_ raw: Substring) -> String? {
        let allowed = CharacterSet(
            charactersIn:
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,;=:@"
        )
        guard raw.unicodeScalars.allSatisfy(allowed.contains), let decoded = raw.removingPercentEncoding,
            !decoded.isEmpty, decoded != ".", decoded != ".."
        else { return nil }
        return decoded
    }
}

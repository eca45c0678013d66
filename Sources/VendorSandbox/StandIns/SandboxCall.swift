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

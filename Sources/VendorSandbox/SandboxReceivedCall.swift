/// A call as it reached a stand-in.
public struct SandboxReceivedCall: Sendable, Hashable, CustomStringConvertible {
    public var method: String
    /// The host and port the caller addressed, which tells callers apart that address the sandbox differently.
    public var authority: String?
    /// The path and query as sent, still percent-encoded.
    public var target: String
    /// Header values by lower-cased name.
    public var headers: [String: String]
    public var body: [UInt8]

    public var description: String {
        let fields = headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        return "\(method) \(target) \(fields) \(String(decoding: body, as: UTF8.self))"
    }
}

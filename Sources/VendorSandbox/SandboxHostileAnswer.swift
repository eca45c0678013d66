/// An answer no documented API gives: any status, headers and body, a body that echoes the call, a huge body, or
/// one that trickles in.
public struct SandboxHostileAnswer: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// Headers added to the answer, such as `Retry-After: 1e21`.
    public var headers: [String: String]
    /// The body's start.
    public var body: String
    /// Appends the call's path and body to the body, as a vendor that quotes its input in its errors does.
    public var echo: Bool
    /// Pads the body with spaces to this many bytes.
    public var paddedToBytes: Int
    /// Sends the body a byte at a time, this long apart.
    public var trickleMilliseconds: Int

    public init(
        status: Int,
        headers: [String: String] = [:],
        body: String = "",
        echo: Bool = false,
        paddedToBytes: Int = 0,
        trickleMilliseconds: Int = 0
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.echo = echo
        self.paddedToBytes = paddedToBytes
        self.trickleMilliseconds = trickleMilliseconds
    }
}

/// A built-in vendor the sandbox stands in for, by the name erasure-relay's configuration gives it.
public struct SandboxVendor: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// The built-in vendor called `rawValue`; nil when the sandbox has no built-in stand-in of that name.
    public init?(rawValue: String) {
        guard BuiltInStandIn.registry.contains(where: { $0.vendor.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    init(builtIn name: String) {
        rawValue = name
    }

    /// Every built-in vendor, in the order erasure-relay lists them.
    public static var allCases: [SandboxVendor] { BuiltInStandIn.registry.map(\.vendor) }

    /// The credentials its stand-in accepts, by erasure-relay's configuration key for each: fixed, well-known
    /// sandbox values.
    public var credentials: [(key: String, value: String)] {
        BuiltInStandIn.of(self)?.make(SandboxConfiguration().unknownUserPrefix).relayCredentials ?? []
    }

    public var description: String { rawValue }
}

/// What the sandbox accepts and how strictly it meters it.
public struct SandboxConfiguration: Sendable {
    /// Calls allowed per window; more get the vendor's 429.
    public struct Quota: Sendable, Hashable {
        public var requests: Int
        public var windowSeconds: Double

        public init(requests: Int, windowSeconds: Double) {
            self.requests = requests
            self.windowSeconds = windowSeconds
        }
    }

    /// The address to listen on. Default 127.0.0.1.
    public var host = "127.0.0.1"
    /// Port per vendor; 0 (the default) picks a free one.
    public var ports: [SandboxVendor: Int] = [:]
    /// Quota per vendor; the vendors' documented limits by default.
    public var quotas = Dictionary(
        uniqueKeysWithValues: BuiltInStandIn.registry.map { ($0.vendor, $0.documentedQuota) }
    )
    /// Latency added to every answer, per vendor, in milliseconds.
    public var latencyMilliseconds: [SandboxVendor: Int] = [:]
    /// Identifiers with this prefix are unknown users (MoEngage answers them with 400 Not Found, EngageLab with 404).
    public var unknownUserPrefix = "unknown-"
    /// Stand-ins for vendors declared in erasure-relay's configuration, each on a port of its own.
    public var declared: [DeclaredStandIn] = []
    /// Whether each stand-in keeps every call as it arrived (``VendorSandbox/receivedCalls(ofVendorNamed:)``), for
    /// tests that compare calls byte for byte. Off by default: a long run would keep every body.
    public var keepsReceivedCalls = false

    public init() {}
}

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

/// A fault to inject into the next calls of one vendor.
public enum SandboxFault: Sendable, Hashable {
    /// Answer with `status` (429 and 503 carry `Retry-After` when `retryAfterSeconds` is set).
    case status(Int, retryAfterSeconds: Int? = nil)
    /// Answer normally, after `milliseconds`.
    case delay(milliseconds: Int)
    /// Never answer in time: hold the call for `seconds`, then close it.
    case hang(seconds: Int)
    /// Close the connection without an answer.
    case reset
    /// Answer as a hostile or broken vendor might, in place of the stand-in.
    case answer(SandboxHostileAnswer)
}

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

/// A stand-in for a vendor declared in configuration rather than built in: it reads calls with `answer`, which
/// knows the vendor's definition, and is metered, faulted and recorded like the built-in stand-ins.
public struct DeclaredStandIn: Sendable {
    /// A call as received.
    public struct Call: Sendable {
        public var method: String
        /// The path as sent, still percent-encoded.
        public var rawPath: String
        public var rawQuery: String?
        /// Header values by lower-cased name.
        public var headers: [String: String]
        public var body: [UInt8]
    }

    /// The stand-in's answer, and the identifiers a successful call deleted, by the name the definition gives them.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String
        public var deleted: [(name: String, identifiers: [String])]
        /// A well-formed call about a user the vendor does not hold.
        public var unknownUser: Bool

        public init(
            status: Int,
            headers: [(String, String)] = [],
            body: String,
            deleted: [(name: String, identifiers: [String])] = [],
            unknownUser: Bool = false
        ) {
            self.status = status
            self.headers = headers
            self.body = body
            self.deleted = deleted
            self.unknownUser = unknownUser
        }
    }

    /// The vendor's name in erasure-relay's configuration.
    public var name: String
    /// The port to listen on; 0 picks a free one.
    public var port: Int
    public var quota: SandboxConfiguration.Quota
    /// Further quotas counted at the same time: a call over any of them is refused with 429.
    public var otherQuotas: [SandboxConfiguration.Quota] = []
    public var latencyMilliseconds: Int
    public var answer: @Sendable (Call) -> Reply
    /// The answer to a call over the quota.
    public var tooManyRequests: @Sendable (_ retryAfterSeconds: Int, _ resetEpochSeconds: Int) -> Reply

    public init(
        name: String,
        port: Int = 0,
        quota: SandboxConfiguration.Quota,
        latencyMilliseconds: Int = 0,
        otherQuotas: [SandboxConfiguration.Quota] = [],
        answer: @escaping @Sendable (Call) -> Reply,
        tooManyRequests: @escaping @Sendable (Int, Int) -> Reply
    ) {
        self.name = name
        self.port = port
        self.quota = quota
        self.otherQuotas = otherQuotas
        self.latencyMilliseconds = latencyMilliseconds
        self.answer = answer
        self.tooManyRequests = tooManyRequests
    }
}

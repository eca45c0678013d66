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

        public init(method: String, rawPath: String, rawQuery: String?, headers: [String: String], body: [UInt8]) {
            self.method = method
            self.rawPath = rawPath
            self.rawQuery = rawQuery
            self.headers = headers
            self.body = body
        }
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

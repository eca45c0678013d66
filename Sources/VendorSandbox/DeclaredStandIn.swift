/// A stand-in for a vendor declared in configuration rather than built in: it reads calls with `answer`, which
/// knows the vendor's definition, and is metered, faulted and recorded like the built-in stand-ins.
public struct DeclaredStandIn: Sendable {
    /// The vendor's name in erasure-relay's configuration.
    public var name: String
    /// The port to listen on; 0 picks a free one.
    public var port: Int
    public var quota: SandboxConfiguration.Quota
    /// Further quotas counted at the same time: a call over any of them is refused with 429.
    public var otherQuotas: [SandboxConfiguration.Quota] = []
    public var latencyMilliseconds: Int
    public var answer: @Sendable (SandboxCall) -> SandboxAnswer
    /// Answers calls to the vendor's token endpoint, apart from the metered API; nil for other calls.
    public var tokenEndpoint: (@Sendable (SandboxCall) -> SandboxAnswer?)?
    /// The answer to a call over the quota.
    public var tooManyRequests: @Sendable (_ retryAfterSeconds: Int, _ resetEpochSeconds: Int) -> SandboxAnswer

    public init(
        name: String,
        port: Int = 0,
        quota: SandboxConfiguration.Quota,
        latencyMilliseconds: Int = 0,
        otherQuotas: [SandboxConfiguration.Quota] = [],
        answer: @escaping @Sendable (SandboxCall) -> SandboxAnswer,
        tooManyRequests: @escaping @Sendable (Int, Int) -> SandboxAnswer,
        tokenEndpoint: (@Sendable (SandboxCall) -> SandboxAnswer?)? = nil
    ) {
        self.tokenEndpoint = tokenEndpoint
        self.name = name
        self.port = port
        self.quota = quota
        self.otherQuotas = otherQuotas
        self.latencyMilliseconds = latencyMilliseconds
        self.answer = answer
        self.tooManyRequests = tooManyRequests
    }
}

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

    /// How many users a stand-in's vendor holds for an identifier it is asked to look up: none for an unknown user,
    /// N for an identifier starting `matches-N-`, and one for any other.
    /// - Parameters:
    ///   - identifier: the identifier looked up.
    ///   - unknownUserPrefix: the prefix of identifiers the vendor does not hold.
    public static func lookUpMatchCount(of identifier: String, unknownUserPrefix: String) -> Int {
        if identifier.hasPrefix(unknownUserPrefix) { return 0 }
        let parts = identifier.split(separator: "-", maxSplits: 2)
        if parts.count == 3, parts[0] == "matches", let count = Int(parts[1]), (0...1000).contains(count) {
            return count
        }
        return 1
    }

    /// How a deletion job the stand-in of a job vendor took runs: it answers `running` to `runningChecks` status
    /// calls, then done, or failed when `fails`. A job fails when one of its identifiers starts `job-fails-`, and
    /// runs N checks when one starts `job-runs-N-`; it runs one check by default.
    /// - Parameter identifiers: the identifiers the job erases.
    public static func jobFate(of identifiers: [String]) -> (runningChecks: Int, fails: Bool) {
        let counts = identifiers.compactMap { identifier -> Int? in
            let parts = identifier.split(separator: "-", maxSplits: 3)
            guard parts.count == 4, parts[0] == "job", parts[1] == "runs", let count = Int(parts[2]),
                (0...1000).contains(count)
            else { return nil }
            return count
        }
        return (counts.max() ?? 1, identifiers.contains { $0.hasPrefix("job-fails-") })
    }

    /// Stand-ins for vendors declared in erasure-relay's configuration, each on a port of its own.
    public var declared: [DeclaredStandIn] = []
    /// Whether each stand-in keeps every call as it arrived (``VendorSandbox/receivedCalls(ofVendorNamed:)``), for
    /// tests that compare calls byte for byte. Off by default: a long run would keep every body.
    public var keepsReceivedCalls = false

    public init() {}
}

/// One vendor's endpoint, credentials and lane settings.
public struct VendorSettings: Sendable {
    /// Calls per window, as the vendor counts them on arrival.
    public struct RateLimit: Sendable, Hashable {
        /// `rate_limit.requests`.
        public var requests: Int
        /// `rate_limit.window_seconds`.
        public var windowSeconds: Int
        /// `rate_limit.reserve`: the fraction of the quota left to other systems using the same account. Default 0.
        public var reserve: Double

        public init(requests: Int, windowSeconds: Int, reserve: Double = 0) {
            self.requests = requests
            self.windowSeconds = windowSeconds
            self.reserve = reserve
        }
    }

    /// How identifiers from several requests share one call.
    public struct Batching: Sendable, Hashable {
        /// `batch.max_size`: identifiers (users, for moengage_gdpr) per call, capped by the vendor's own limit.
        public var maxSize: Int
        /// `batch.linger_ms`: how long a batch that is not full waits for more. Default 50.
        public var lingerMilliseconds: Int = 50
        /// `batch.linger_when_idle`: whether a batch lingers even when the lane is idle. Default false: a lane with no
        /// call in flight and none started within `linger_ms` sends what it has at once, since at that load the quota
        /// is not what limits, and a waiting identifier only adds latency; under load calls start more often, and
        /// batches fill as `linger_ms` lets them.
        public var lingerWhenIdle = false
        /// `batch.max_bytes`: the largest body a batch call may have, for a declared vendor that limits it. Built-in
        /// vendors keep their own byte limits (`max_payload_bytes` for moengage_gdpr).
        public var maxBytes: Int?

        public init(maxSize: Int, lingerMilliseconds: Int = 50) {
            self.maxSize = maxSize
            self.lingerMilliseconds = lingerMilliseconds
        }
    }

    /// When a failed call is tried again.
    public struct Retry: Sendable, Hashable {
        /// `retry.max_attempts`: calls per identifier before it fails. Default 8.
        public var maxAttempts: Int = 8
        /// `retry.max_elapsed_seconds`: time from the first call after which no retry starts. Default 300.
        public var maxElapsedSeconds: Int = 300
        /// `retry.initial_backoff_ms`: the ceiling of the first backoff; it doubles each attempt. Default 200.
        public var initialBackoffMilliseconds: Int = 200
        /// `retry.max_backoff_ms`: the largest backoff ceiling. Default 30000.
        public var maxBackoffMilliseconds: Int = 30_000

        public init() {}
    }

    public var vendor: VendorID
    /// `base_url`, or the vendor's own host name: `instance` (Braze), `data_center` (MoEngage), `region` (EngageLab).
    public var baseURL: String
    /// Credentials and vendor-specific options.
    public var account: any VendorAccount
    /// `rate_limit`: one limit, or a list of limits that must all hold at once, such as a burst limit and a steady
    /// one on the same endpoint. Calls leave evenly spaced, so the strictest limit sets the pace.
    public var rateLimits: [RateLimit]
    /// The first of ``rateLimits``; setting it leaves that one limit alone.
    public var rateLimit: RateLimit {
        get { rateLimits[0] }
        set { rateLimits = [newValue] }
    }
    /// `max_concurrency`: calls in flight at once. Default 8.
    public var maxConcurrency: Int = 8
    public var batching: Batching
    public var retry = Retry()
    /// `timeout_seconds`: for one call, connect to last byte. Default 30.
    public var timeoutSeconds: Int = 30

    public init(
        vendor: VendorID,
        baseURL: String,
        account: any VendorAccount,
        rateLimit: RateLimit? = nil,
        batching: Batching? = nil
    ) {
        self.vendor = vendor
        self.baseURL = baseURL
        self.account = account
        let builtIn = BuiltInVendor.named(vendor)
        // A declared vendor has no documented defaults: its configuration must name its quota, and gives its batch.
        self.rateLimits = [rateLimit ?? builtIn?.documentedRateLimit ?? RateLimit(requests: 1, windowSeconds: 1)]
        self.batching = batching ?? Batching(maxSize: builtIn?.maxBatchSize ?? 1)
    }
}

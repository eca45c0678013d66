/// The Generic Cell Rate Algorithm with no burst: calls are spaced at least `window / requests` apart.
///
/// Why it cannot overshoot: if every call is at least `T = W / N` after the previous one, any window of length `W`
/// holds at most `N` of them. The spacing is widened by `safetyMargin` so that calls that leave evenly but arrive
/// bunched (a slow connection followed by a fast one) still arrive within quota as the vendor counts them. A backlog
/// keeps the limiter at its spacing, so the quota is used at `1 - safetyMargin` of its full rate.
public struct RateLimiter<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    /// Calls allowed per `window`, before the share and margin are applied.
    public private(set) var requests: Int
    public private(set) var window: Duration
    /// This process's share of the quota (0...1), such as its share of the request topic's partitions.
    public private(set) var share: Double
    public let safetyMargin: Double
    /// The earliest time the next call may leave (GCRA's theoretical arrival time).
    private var nextAllowed: Instant?

    public init(requests: Int, window: Duration, share: Double = 1, safetyMargin: Double = 0.02) {
        self.requests = requests
        self.window = window
        self.share = share
        self.safetyMargin = safetyMargin
    }

    /// The spacing between calls; nil while the share is zero.
    public var interval: Duration? {
        let rate = Double(requests) * share * (1 - safetyMargin)
        guard rate > 0 else { return nil }
        return window / rate
    }

    /// When a call may leave, if one asked at `now`; nil while the share is zero.
    public func permittedAt(now: Instant) -> Instant? {
        guard interval != nil else { return nil }
        guard let nextAllowed else { return now }
        return max(now, nextAllowed)
    }

    /// Books a call leaving at `now`.
    /// - Precondition: `permittedAt(now:)` is not later than `now`.
    public mutating func take(now: Instant) {
        guard let interval else { return }
        nextAllowed = max(now, nextAllowed ?? now).advanced(by: interval)
    }

    /// Changes the share. A smaller share takes effect for the next call.
    public mutating func setShare(_ share: Double) {
        self.share = min(1, max(0, share))
    }
}

/// Exponential backoff with full jitter: the wait before retry `n` is uniform in `0 ... min(cap, base * 2^(n-1))`.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The largest wait after `attempt` failed calls (1 for the first failure).
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let doublings = min(max(0, attempt - 1), 40)
        let grown = initial * Double(1 << doublings)
        return min(grown, maximum)
    }

    /// A wait drawn uniformly below the ceiling.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        ceiling(afterAttempt: attempt) * Double.random(in: 0...1, using: &generator)
    }
}

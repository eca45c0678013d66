/// The Generic Cell Rate Algorithm with no burst: calls are spaced at least `window / allowed` apart, where
/// `allowed` is this process's whole number of calls per window.
///
/// Why it cannot overshoot: with calls at least `T = W / a` apart, a window of length `W` (as vendors count them,
/// by arrival) holds at most `a` calls. `a` is the quota times this process's share, less a safety margin and any
/// reserve, rounded *down* to a whole number, so the processes of a group, each rounding down, together stay within
/// the quota too. The margin (2%) absorbs calls that leave evenly but arrive bunched. Idle time is not banked: the
/// next call after a pause leaves at once, then the spacing resumes.
///
/// A share that changes hands is the one exception: the replica that gains it starts a whole interval after the
/// handover (``setShare(_:now:)``), since the one that lost it may have spent its last interval up to that instant.
public struct RateLimiter<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    /// Calls the vendor allows per `window`.
    public private(set) var requests: Int
    public private(set) var window: Duration
    /// This process's share of the quota (0...1), such as its share of the request topic's partitions.
    public private(set) var share: Double
    /// The part of the quota left to other systems that use the same vendor account (0..<1).
    public let reserve: Double
    public let safetyMargin: Double
    /// Further limits that hold at the same time, such as a steady limit beside a burst limit.
    public let otherLimits: [(requests: Int, window: Duration, reserve: Double)]
    /// The earliest time the next call may leave (GCRA's theoretical arrival time).
    private var nextAllowed: Instant?

    /// - Parameters:
    ///   - requests: calls the vendor allows per `window`.
    ///   - window: the vendor's window.
    ///   - share: this process's share of the quota.
    ///   - reserve: the part of the quota left to other systems.
    ///   - safetyMargin: the part left unused, for calls that leave evenly but arrive bunched.
    ///   - otherLimits: limits that must hold as well; the spacing is the widest any of them needs.
    public init(
        requests: Int,
        window: Duration,
        share: Double = 1,
        reserve: Double = 0,
        safetyMargin: Double = 0.02,
        otherLimits: [(requests: Int, window: Duration, reserve: Double)] = []
    ) {
        self.requests = requests
        self.window = window
        self.share = share
        self.reserve = reserve
        self.safetyMargin = safetyMargin
        self.otherLimits = otherLimits
    }

    /// Calls this process may make per window of the first limit.
    public var allowedPerWindow: Double { allowed(requests: requests, reserve: reserve) }

    private func allowed(requests: Int, reserve: Double) -> Double {
        let exact = Double(requests) * share * (1 - reserve) * (1 - safetyMargin)
        // Below one call per window the fraction is kept: a call every few windows is still within quota.
        return exact >= 1 ? exact.rounded(.down) : exact
    }

    /// The spacing between calls, the widest any limit needs: calls that far apart keep every limit at once. Nil
    /// while the share is zero.
    public var interval: Duration? {
        // Asked at every call: no array is built for it.
        guard var widest = spacing(requests: requests, window: window, reserve: reserve) else { return nil }
        for limit in otherLimits {
            guard let spacing = spacing(requests: limit.requests, window: limit.window, reserve: limit.reserve) else {
                return nil
            }
            widest = max(widest, spacing)
        }
        return widest
    }

    private func spacing(requests: Int, window: Duration, reserve: Double) -> Duration? {
        let allowed = allowed(requests: requests, reserve: reserve)
        return allowed > 0 ? window / allowed : nil
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

    /// Changes the share at `now`. A smaller share takes effect for the next call. A larger one was, until now,
    /// another replica's, which may have spent it just before handing it over: the first call at the new rate waits
    /// a whole interval from now, as if this process had made one at the handover, so that the calls of both fit
    /// the quota in the windows that span it.
    public mutating func setShare(_ share: Double, now: Instant) {
        let share = min(1, max(0, share))
        let raised = share > self.share
        self.share = share
        guard raised, let interval else { return }
        nextAllowed = max(nextAllowed ?? now, now.advanced(by: interval))
    }
}

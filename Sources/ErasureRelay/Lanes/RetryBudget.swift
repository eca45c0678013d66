/// How long one identifier may be retried in memory at a vendor, and what follows each retriable failure.
///
/// A pure value: the caller passes the attempts made and the time elapsed, so tests drive it without a clock.
struct RetryBudget: Sendable {
    /// What to do with an identifier after a retriable failure.
    enum Decision: Equatable, Sendable {
        /// Call again once `after` has passed.
        case retry(after: Duration)
        /// The vendor's wait outlasts the budget: park the work for `wait`, outside memory.
        case park(wait: Duration)
        /// The budget is spent.
        case exhausted
    }

    let maxAttempts: Int
    let maxElapsed: Duration
    let backoff: Backoff

    init(_ settings: VendorSettings.Retry) {
        self.maxAttempts = settings.maxAttempts
        self.maxElapsed = .seconds(settings.maxElapsedSeconds)
        self.backoff = Backoff(
            initial: .milliseconds(settings.initialBackoffMilliseconds),
            maximum: .milliseconds(settings.maxBackoffMilliseconds)
        )
    }

    /// - Parameters:
    ///   - attempts: the calls made for the identifier so far, the failed one included.
    ///   - elapsed: the time since its first call.
    ///   - vendorWait: how long the vendor asked to wait (`Retry-After`), or zero.
    ///   - random: the source of the backoff's jitter.
    func decide(
        attempts: Int,
        elapsed: Duration,
        vendorWait: Duration,
        using random: inout some RandomNumberGenerator
    ) -> Decision {
        decide(batch: [(attempts, elapsed)], vendorWait: vendorWait, using: &random)[0]
    }

    /// The decision for each identifier of a failed call. Those retried share one backoff, drawn for the most-tried
    /// of them, so that they come back together and make one call again rather than one call each, which would spend
    /// the account's quota while the vendor struggles.
    /// - Parameter batch: each identifier's attempts, the failed one included, and the time since its first call.
    func decide(
        batch: [(attempts: Int, elapsed: Duration)],
        vendorWait: Duration,
        using random: inout some RandomNumberGenerator
    ) -> [Decision] {
        let mostAttempts = batch.map(\.attempts).max() ?? 1
        let delay = max(backoff.delay(afterAttempt: mostAttempts, using: &random), vendorWait)
        return batch.map { attempts, elapsed in
            if attempts >= maxAttempts || elapsed >= maxElapsed { return .exhausted }
            if elapsed + vendorWait > maxElapsed { return .park(wait: vendorWait) }
            return .retry(after: delay)
        }
    }

    /// Whether a lane-wide pause of `wait` outlasts the budget, so that work waiting for it is parked instead.
    func outlasts(_ wait: Duration) -> Bool {
        wait > maxElapsed
    }
}

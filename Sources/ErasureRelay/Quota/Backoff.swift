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

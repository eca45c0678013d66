import Synchronization

/// What `/healthz` and `/readyz` report: whether the consumer loop is turning, and whether this member is connected
/// and in the group.
public final class RelayHealth: Sendable {
    private struct State {
        var lastPoll: ContinuousClock.Instant?
        var inGroup = false
        var brokersDown = false
        var stopped = false
        var failed = false
        var onJoin: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())
    /// How long the consumer loop may go without polling before the process counts as stuck.
    public let stallLimit: Duration

    public init(stallLimit: Duration = .seconds(60)) {
        self.stallLimit = stallLimit
    }

    func polled() {
        state.withLock {
            $0.lastPoll = .now
            $0.brokersDown = false
        }
    }

    /// - Returns: true the first time: this member is now ready to consume.
    @discardableResult
    func joinedGroup() -> Bool {
        let actions = state.withLock { state -> [@Sendable () -> Void]? in
            guard !state.inGroup else { return nil }
            state.inGroup = true
            defer { state.onJoin.removeAll() }
            return state.onJoin
        }
        for action in actions ?? [] { action() }
        return actions != nil
    }

    /// Runs `action` once this member has first joined the consumer group: at once if it has.
    public func onceJoined(_ action: @escaping @Sendable () -> Void) {
        let joined = state.withLock { state in
            if !state.inGroup { state.onJoin.append(action) }
            return state.inGroup
        }
        if joined { action() }
    }

    func brokersUnreachable() {
        state.withLock { $0.brokersDown = true }
    }

    /// A fault the process cannot recover from (the producer's fatal error): liveness fails until it exits.
    func failed() {
        state.withLock { $0.failed = true }
    }

    func stopping() {
        state.withLock { $0.stopped = true }
    }

    /// Alive: no unrecoverable fault (such as the producer's fatal error) and the consumer loop has polled within
    /// ``stallLimit``. A process still starting counts as alive.
    public var isAlive: Bool {
        state.withLock { state in
            guard !state.failed else { return false }
            guard let lastPoll = state.lastPoll else { return true }
            return state.stopped || ContinuousClock.now - lastPoll < stallLimit
        }
    }

    /// Ready: alive, in the consumer group, the brokers reachable, and not shutting down.
    public var isReady: Bool {
        let ready = state.withLock { $0.inGroup && !$0.brokersDown && !$0.stopped && $0.lastPoll != nil }
        return ready && isAlive
    }
}

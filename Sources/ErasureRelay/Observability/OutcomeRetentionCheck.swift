import ServiceLifecycle

/// Checks the outcome topic's retention once, beside the work rather than before it: a cluster that cannot describe
/// the topic makes the check wait out its timeout, and the record matters, not when the warning comes.
struct OutcomeRetentionCheck: Service {
    let check: @Sendable () async throws -> OutcomeRetention

    func run() async {
        _ = try? await cancelWhenGracefulShutdown { [check] in try await check() }
    }
}

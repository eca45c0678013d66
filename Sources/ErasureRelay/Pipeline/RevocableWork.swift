import Synchronization

/// Runs each request's work so that it can be stopped when the request's partition is revoked or lost: its next
/// owner reads it again, and this replica must not go on spending the account's quota on it.
///
/// Stopping cancels the work's task; a ``VendorLane`` drops a cancelled request's waiting identifiers.
final class RevocableWork: Sendable {
    typealias Ticket = Intake.Ticket

    private struct State {
        var waiting: [Ticket: CheckedContinuation<Void, Never>] = [:]
        /// Revoked before their work began to wait.
        var revokedEarly: Set<Ticket> = []
    }

    private let state = Mutex(State())

    /// Runs `work` until it returns or `ticket` is revoked.
    /// - Returns: what `work` returned, or false when it was stopped.
    func run(_ ticket: Ticket, _ work: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await work() }
            group.addTask {
                await self.untilRevoked(ticket)
                return false
            }
            defer {
                group.cancelAll()
                // A revocation that came after the work ended must not be kept for a ticket never seen again.
                _ = state.withLock { $0.revokedEarly.remove(ticket) }
            }
            return try await group.next() ?? false
        }
    }

    /// Stops the work of `tickets`.
    func revoke(_ tickets: [Ticket]) {
        let waiting = state.withLock { state in
            tickets.compactMap { ticket in
                if let continuation = state.waiting.removeValue(forKey: ticket) { return continuation }
                state.revokedEarly.insert(ticket)
                return nil
            }
        }
        for continuation in waiting { continuation.resume() }
    }

    private func untilRevoked(_ ticket: Ticket) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.revokedEarly.remove(ticket) != nil || Task.isCancelled { return true }
                    state.waiting[ticket] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: ticket) }?.resume()
        }
    }
}

import Foundation
import Synchronization

/// A value whose changes can be awaited.
public final class Watched<Value: Sendable>: Sendable {
    private struct State {
        var value: Value
        var waiters:
            [UInt64: (predicate: @Sendable (Value) -> Bool, continuation: CheckedContinuation<Value, any Error>)] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(_ value: Value) {
        self.state = Mutex(State(value: value))
    }

    public var value: Value { state.withLock { $0.value } }

    public func update(_ change: (inout Value) -> Void) {
        let ready = state.withLock { state -> [(CheckedContinuation<Value, any Error>, Value)] in
            change(&state.value)
            var ready: [(CheckedContinuation<Value, any Error>, Value)] = []
            for (id, waiter) in state.waiters where waiter.predicate(state.value) {
                ready.append((waiter.continuation, state.value))
                state.waiters[id] = nil
            }
            return ready
        }
        for (continuation, value) in ready { continuation.resume(returning: value) }
    }

    /// Waits until `predicate` holds, or throws after `timeout`.
    public func wait(timeout: Duration, until predicate: @escaping @Sendable (Value) -> Bool) async throws -> Value {
        try await withThrowingTaskGroup(of: Value.self) { group in
            let id = state.withLock { state in
                defer { state.nextWaiter += 1 }
                return state.nextWaiter
            }
            group.addTask {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        let current = self.state.withLock { state -> Value? in
                            if predicate(state.value) || Task.isCancelled { return state.value }
                            state.waiters[id] = (predicate, continuation)
                            return nil
                        }
                        if let current { continuation.resume(returning: current) }
                    }
                } onCancel: {
                    self.state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation
                        .resume(throwing: CancellationError())
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ChildProcessError("timed out after \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

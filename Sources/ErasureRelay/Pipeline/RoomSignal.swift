import Synchronization

/// Lets the consumer loop wait, with a time limit, for in-flight work to drop below the resume mark.
final class RoomSignal: Sendable {
    private let waiter = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    /// Waits until ``signal()`` or `timeout`. Returns true when signalled, or at once when `hasRoom` already holds.
    func wait(timeout: Duration, hasRoom: @escaping @Sendable () -> Bool) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let answer = self.waiter.withLock { waiter -> Bool? in
                            if Task.isCancelled { return false }
                            // Checked after taking the lock, so a signal sent before the wait began is not lost.
                            if hasRoom() { return true }
                            waiter = continuation
                            return nil
                        }
                        if let answer { continuation.resume(returning: answer) }
                    }
                } onCancel: {
                    self.waiter.withLock { waiter in
                        defer { waiter = nil }
                        return waiter
                    }?.resume(returning: false)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Wakes the waiter, if there is one.
    func signal() {
        waiter.withLock { waiter in
            defer { waiter = nil }
            return waiter
        }?.resume(returning: true)
    }
}

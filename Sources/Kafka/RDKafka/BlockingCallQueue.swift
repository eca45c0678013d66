import Dispatch

/// Runs librdkafka's blocking calls on a thread of their own, so that a poll with a timeout never occupies a thread
/// of Swift's cooperative pool.
struct BlockingCallQueue: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        self.queue = DispatchQueue(label: label)
    }

    func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    /// Runs `body` on the queue's thread without waiting for it.
    func submit(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }

    func runSync<Result>(_ body: () -> Result) -> Result {
        queue.sync(execute: body)
    }
}

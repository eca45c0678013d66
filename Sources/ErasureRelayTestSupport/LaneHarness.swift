import ErasureRelay
import Logging

/// Runs `body` while `lanes` schedule calls, and stops them afterwards.
public func withRunningLanes<Result: Sendable>(
    _ lanes: [VendorLane],
    _ body: () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for lane in lanes {
            group.addTask { await lane.run() }
        }
        defer { group.cancelAll() }
        return try await body()
    }
}

extension VendorSettings {
    /// Settings for a lane under test: a fast linger and backoff, and the given quota.
    public static func testing(
        _ vendor: VendorID,
        baseURL: String = "http://127.0.0.1:1",
        account: any VendorAccount,
        requests: Int = 100_000,
        windowSeconds: Int = 1,
        maxConcurrency: Int = 8,
        maxAttempts: Int = 5
    ) -> VendorSettings {
        var settings = VendorSettings(
            vendor: vendor,
            baseURL: baseURL,
            account: account,
            rateLimit: .init(requests: requests, windowSeconds: windowSeconds)
        )
        settings.batching.lingerMilliseconds = 20
        settings.maxConcurrency = maxConcurrency
        settings.retry.maxAttempts = maxAttempts
        settings.retry.initialBackoffMilliseconds = 5
        settings.retry.maxBackoffMilliseconds = 20
        settings.timeoutSeconds = 5
        return settings
    }
}

extension ErasureRequest {
    /// A GDPR request for `subject`, submitted now, with no deadline of its own.
    public static func testing(_ subject: Subject, id: String = "r") -> ErasureRequest {
        ErasureRequest(requestID: id, regulation: .gdpr, submittedAt: .now(), subject: subject)
    }
}

extension VendorLane {
    /// Waits until at least `count` identifiers wait in the lane.
    public func waitUntilWaiting(_ count: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while waitingItems < count {
            guard ContinuousClock.now < deadline else {
                throw ChildProcessError("timed out after \(timeout) waiting for \(count) identifiers in the lane")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// Erases `subjects` through `lane` all at once, one GDPR request each (`r-0`, `r-1`, ...), while the lane runs.
/// - Returns: each request's result, in the order of `subjects`.
public func eraseConcurrently(
    _ subjects: [Subject],
    through lane: VendorLane,
    adapter: any VendorAdapter
) async throws -> [VendorResult?] {
    try await withRunningLanes([lane]) {
        await withTaskGroup(of: (Int, VendorResult?).self) { group in
            for (index, subject) in subjects.enumerated() {
                let request = ErasureRequest(
                    requestID: "r-\(index)",
                    regulation: .gdpr,
                    submittedAt: .now(),
                    subject: subject
                )
                group.addTask { (index, await lane.erase(adapter.items(for: request))) }
            }
            var all = [VendorResult?](repeating: nil, count: subjects.count)
            for await (index, result) in group { all[index] = result }
            return all
        }
    }
}

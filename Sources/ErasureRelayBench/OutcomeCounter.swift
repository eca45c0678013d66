import ArgumentParser
import ErasureRelay
import ErasureRelaySandboxBridge
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import VendorSandbox

final class OutcomeCounter: Sendable {
    private let state = Mutex<
        (
            count: Int, waiting: [(Int, CheckedContinuation<Void, Never>)],
            span: (first: ContinuousClock.Instant, last: ContinuousClock.Instant)?
        )
    >((0, [], nil))

    /// Outcomes per second from the first to the last: the rate once the relay has joined its group, which on the
    /// embedded broker takes about 3 seconds, whatever the backlog.
    var steadyRate: Double? {
        let (count, span) = state.withLock { ($0.count, $0.span.map { $0.last - $0.first }) }
        guard count > 1, let span, span > .zero else { return nil }
        return Double(count - 1) / (span / .seconds(1))
    }
    /// From read to every vendor done, by request id.
    private let vendorMilliseconds = Mutex<[String: Int64]>([:])

    func addVendorTime(_ milliseconds: Int64, requestID: String?) {
        vendorMilliseconds.withLock { $0[requestID ?? "?"] = milliseconds }
    }

    /// The mean time from read to every vendor done, over `requests` or every request.
    func meanVendorMilliseconds(of requests: Set<String>? = nil) -> Double {
        let times = vendorMilliseconds.withLock { times in
            requests.map { wanted in times.filter { wanted.contains($0.key) }.map(\.value) } ?? Array(times.values)
        }
        return times.isEmpty ? 0 : Double(times.reduce(0, +)) / Double(times.count)
    }

    func increment() {
        let now = ContinuousClock.now
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count += 1
            state.span = (state.span?.first ?? now, now)
            let count = state.count
            let ready = state.waiting.filter { $0.0 <= count }.map(\.1)
            state.waiting.removeAll { $0.0 <= count }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    func wait(for count: Int) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.count >= count { return true }
                state.waiting.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }
}

extension SandboxConfiguration {
    /// Quotas out of the way, so that a benchmark measures the pipeline rather than the limiter.
    static var unmetered: SandboxConfiguration {
        var configuration = SandboxConfiguration()
        for vendor in SandboxVendor.allCases {
            configuration.quotas[vendor] = .init(requests: 10_000_000, windowSeconds: 1)
        }
        return configuration
    }
}

import Foundation

/// One vendor's record, quota meter and fault queue.
actor SandboxLedger {
    private(set) var record = SandboxRecord()
    private(set) var received: [SandboxReceivedCall] = []
    private var quota: SandboxConfiguration.Quota
    /// Further quotas the vendor counts at the same time, such as a steady limit beside a burst limit.
    private var otherQuotas: [SandboxConfiguration.Quota]
    private var arrivals: [ContinuousClock.Instant] = []
    private var firstArrival = 0
    private var faults: [SandboxFault] = []
    /// When the wait the stand-in last asked for ends.
    private var retryAfterEnds: ContinuousClock.Instant?

    init(quota: SandboxConfiguration.Quota, otherQuotas: [SandboxConfiguration.Quota] = []) {
        self.quota = quota
        self.otherQuotas = otherQuotas
    }

    enum Admission {
        case admitted
        case overQuota(retryAfterSeconds: Int, resetEpochSeconds: Int)
        case fault(SandboxFault)
    }

    /// Counts an arrival against the quota, as the vendor does: on arrival, in a sliding window.
    func admit() -> Admission {
        record.calls += 1
        let now = ContinuousClock.now
        if let retryAfterEnds, now < retryAfterEnds { record.callsBeforeRetryAfter += 1 }
        // Arrivals are kept for the longest window; each quota counts those within its own.
        let longest = ([quota] + otherQuotas).map(\.windowSeconds).max()!
        let keptFrom = now.advanced(by: .seconds(-longest))
        while firstArrival < arrivals.count, arrivals[firstArrival] <= keptFrom { firstArrival += 1 }
        if firstArrival > 4096 {
            arrivals.removeFirst(firstArrival)
            firstArrival = 0
        }
        func firstInWindow(_ windowSeconds: Double) -> Int {
            let windowStart = now.advanced(by: .seconds(-windowSeconds))
            var index = firstArrival
            while index < arrivals.count, arrivals[index] <= windowStart { index += 1 }
            return index
        }
        let first = firstInWindow(quota.windowSeconds)
        let inWindow = arrivals.count - first
        let exceeded = ([quota] + otherQuotas).first { arrivals.count - firstInWindow($0.windowSeconds) >= $0.requests }
        if let exceeded {
            record.quotaViolations += 1
            let freesAt = arrivals[firstInWindow(exceeded.windowSeconds)].advanced(by: .seconds(exceeded.windowSeconds))
            let wait = max(1, Int((freesAt - now).components.seconds) + 1)
            askedToWait(seconds: wait, from: now)
            return .overQuota(retryAfterSeconds: wait, resetEpochSeconds: Int(Date().timeIntervalSince1970) + wait)
        }
        arrivals.append(now)
        record.peakCallsInWindow = max(record.peakCallsInWindow, inWindow + 1)
        if !faults.isEmpty {
            record.injectedFaults += 1
            let fault = faults.removeFirst()
            if case .status(_, let retryAfter?) = fault { askedToWait(seconds: retryAfter, from: now) }
            return .fault(fault)
        }
        return .admitted
    }

    private func askedToWait(seconds: Int, from now: ContinuousClock.Instant) {
        let ends = now.advanced(by: .seconds(seconds))
        retryAfterEnds = max(retryAfterEnds ?? ends, ends)
    }

    func keep(_ call: SandboxCall) {
        let target = call.rawQuery.map { "\(call.rawPath)?\($0)" } ?? call.rawPath
        received.append(
            .init(
                method: call.method,
                authority: call.authority,
                target: target,
                headers: call.headers,
                body: call.body
            )
        )
    }

    func malformed() {
        record.malformedCalls += 1
    }

    func accepted(_ deletions: [(kind: String, identifiers: [String])], bodyBytes: Int, batchSize: Int) {
        record.acceptedCalls += 1
        for (kind, identifiers) in deletions {
            record.deleted[kind, default: []].append(contentsOf: identifiers)
        }
        record.largestBatch = max(record.largestBatch, batchSize)
        record.largestBody = max(record.largestBody, bodyBytes)
    }

    func inject(_ fault: SandboxFault, count: Int) {
        faults.append(contentsOf: repeatElement(fault, count: count))
    }

    func clearFaults() {
        faults.removeAll()
    }

    func setQuota(_ quota: SandboxConfiguration.Quota) {
        self.quota = quota
        self.otherQuotas = []
    }

    func reset() {
        record = SandboxRecord()
        received.removeAll()
        retryAfterEnds = nil
        arrivals.removeAll()
        firstArrival = 0
        faults.removeAll()
    }
}

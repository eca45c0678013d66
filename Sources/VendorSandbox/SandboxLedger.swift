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
        let quotas = [quota] + otherQuotas
        let keptFrom = now.advanced(by: .seconds(-quotas.map(\.windowSeconds).max()!))
        while firstArrival < arrivals.count, arrivals[firstArrival] <= keptFrom { firstArrival += 1 }
        if firstArrival > 4096 {
            arrivals.removeFirst(firstArrival)
            firstArrival = 0
        }
        let firstInWindow = quotas.map { quota in
            let windowStart = now.advanced(by: .seconds(-quota.windowSeconds))
            return arrivals[firstArrival...].firstIndex { $0 > windowStart } ?? arrivals.count
        }
        if let over = quotas.indices.first(where: { arrivals.count - firstInWindow[$0] >= quotas[$0].requests }) {
            record.quotaViolations += 1
            let freesAt = arrivals[firstInWindow[over]].advanced(by: .seconds(quotas[over].windowSeconds))
            let wait = max(1, Int((freesAt - now).components.seconds) + 1)
            askedToWait(seconds: wait, from: now)
            return .overQuota(retryAfterSeconds: wait, resetEpochSeconds: Int(Date().timeIntervalSince1970) + wait)
        }
        arrivals.append(now)
        record.peakCallsInWindow = max(record.peakCallsInWindow, arrivals.count - firstInWindow[0])
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

    func lookedUp() {
        record.lookUps += 1
    }

    func jobChecked() {
        record.jobChecks += 1
    }

    func tokenRequested(issued: Bool) {
        if issued { record.tokensIssued += 1 } else { record.tokensRefused += 1 }
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

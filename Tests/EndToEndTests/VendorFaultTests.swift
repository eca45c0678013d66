import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("Vendor faults end to end", .serialized, .timeLimit(.minutes(3)))
struct VendorFaultTests {
    let logger = TestLogs.logger(label: "vendor-faults")

    @Test func burstsStormsHangsResetsAndOutagesEndInTheRightStatusWithinBudget() async throws {
        let count = 30
        let requests = (0..<count).map { index in
            (
                key: "k\(index)",
                value: requestJSON(
                    id: "r-\(index)",
                    subject: [
                        "external_id": "u-\(index)", "email": "p\(index)@example.com",
                        "engagelab_registration_ids": ["reg-\(index)"],
                    ]
                )
            )
        }
        let collector = OutcomeCollector()
        let maxAttempts = 6
        try await withRelayTestbed(partitions: 2, logger: logger) { testbed in
            let sandbox = testbed.sandbox
            var configuration = testbed.configuration
            var vendors = configuration.vendors
            for vendor in vendors.keys {
                vendors[vendor]!.retry.maxAttempts = maxAttempts
                vendors[vendor]!.retry.initialBackoffMilliseconds = 20
                vendors[vendor]!.retry.maxBackoffMilliseconds = 100
                vendors[vendor]!.timeoutSeconds = 1
                vendors[vendor]!.rateLimit = .init(requests: 1000, windowSeconds: 1)
            }
            // The 413 must meet a batch of several users, which the lane splits; a lone user's payload refused as
            // too large is refused for good. So the first call waits for the backlog rather than leaving idle.
            vendors[.moengageGDPR]!.batching.lingerWhenIdle = true
            vendors[.moengageGDPR]!.batching.lingerMilliseconds = 1000
            configuration.vendors = vendors
            // No parking: a vendor still down when its lane's budget runs out fails the request at once.
            configuration.parking.maxParks = 0
            // Braze: a burst of 5xx, then a 429 storm that asks every caller to wait.
            await sandbox.inject(.status(503), count: 4, into: .braze)
            await sandbox.inject(.status(429, retryAfterSeconds: 1), count: 3, into: .braze)
            // MoEngage GDPR: a payload too large for the vendor, then slow answers.
            await sandbox.inject(.status(413), count: 1, into: .moengageGDPR)
            await sandbox.inject(.delay(milliseconds: 400), count: 3, into: .moengageGDPR)
            // EngageLab: calls that hang past the 1 s timeout, and dropped connections.
            await sandbox.inject(.hang(seconds: 3), count: 2, into: .engagelab)
            await sandbox.inject(.reset, count: 3, into: .engagelab)
            // MoEngage bulk delete is down for good: every request fails there once its retries run out.
            await sandbox.inject(.status(500), count: 10_000, into: .moengage)
            try await withRelay(
                configuration: configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await Kcat.produce(bootstrap: testbed.bootstrapServers, topic: "user-erasure", keyed: requests)
                _ = try await collector.wait(for: count, timeout: .seconds(150))
            }
            for vendor in SandboxVendor.allCases {
                #expect(
                    await sandbox.record(of: vendor).quotaViolations == 0,
                    "\(vendor) saw more calls than its quota"
                )
            }
            let braze = await sandbox.record(of: .braze)
            #expect(Set(braze.deleted["external_ids"] ?? []) == Set((0..<count).map { "u-\($0)" }))
            #expect(Set(braze.deleted["email_addresses"] ?? []) == Set((0..<count).map { "p\($0)@example.com" }))
            #expect(
                Set(await sandbox.record(of: .engagelab).deleted["registration_id"] ?? [])
                    == Set((0..<count).map { "reg-\($0)" })
            )
            // A slow answer that outlasts the timeout under load is retried: at least once, so compare sets.
            #expect(
                Set(await sandbox.record(of: .moengageGDPR).deleted["identities"] ?? [])
                    == Set((0..<count).flatMap { ["ID:u-\($0)", "email:p\($0)@example.com"] })
            )
            #expect(await sandbox.record(of: .moengage).acceptedCalls == 0)
            // Each failed request left a dead-letter record naming the vendor to replay.
            let deadLetters = try await TopicReader.read(
                bootstrap: testbed.bootstrapServers,
                topic: "user-erasure-dlq",
                count: count,
                logger: logger
            )
            for record in deadLetters {
                #expect(record.header(DeadLetterHeader.errorCode) == "retries_exhausted")
                #expect(record.header(RequestProgress.Header.pendingVendors) == "moengage")
            }
        }
        let outcomes = collector.all
        #expect(Set(outcomes.compactMap(\.requestID)) == Set((0..<count).map { "r-\($0)" }))
        let moengageAttempts = outcomes.flatMap(\.vendors).filter { $0.vendor == .moengage }.map(\.attempts)
        #expect(moengageAttempts.contains(maxAttempts))
        #expect(
            moengageAttempts.reduce(0, +) < count * maxAttempts,
            "the lane went on calling a vendor known to be down"
        )
        for outcome in outcomes {
            #expect(outcome.status == .failed, "moengage is down, so every request must fail")
            for result in outcome.vendors {
                #expect(result.attempts <= maxAttempts, "\(result.vendor) went past its retry budget")
                if result.vendor == .moengage {
                    // The first requests spend the whole budget; then the lane knows the vendor is down and stops
                    // calling it for the others.
                    #expect(result.status == .failed)
                    #expect(
                        result.error == "retries exhausted after \(maxAttempts) attempts: HTTP 500"
                            || result.error?.hasPrefix("vendor unavailable (HTTP 500)") == true,
                        "\(result.error ?? "")"
                    )
                } else {
                    #expect(result.status == .accepted, "\(result.vendor): \(result.error ?? "")")
                }
            }
        }
    }

    /// The relay's quota is the vendor's own, the backlog needs far more calls than it allows, and the vendor answers
    /// with 5xx bursts and 429s that ask for a wait: not one call may be over the quota or before the wait ends.
    @Test func faultsNeverPushTheLaneOverItsQuotaOrPastARetryAfter() async throws {
        let count = 900
        let quota = SandboxConfiguration.Quota(requests: 600, windowSeconds: 10)
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.quotas[.braze] = quota
        let requests = (0..<count).map {
            (key: "k\($0)", value: requestJSON(id: "r-\($0)", subject: ["external_id": "u-\($0)"], vendors: ["braze"]))
        }
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 2, sandbox: sandboxConfiguration, logger: logger) { testbed in
            let sandbox = testbed.sandbox
            var configuration = testbed.configuration
            // One identifier per call: 900 calls against 600 every 10 seconds. One call at a time, so that a call
            // arriving during a requested wait was surely sent after the answer that asked for it.
            configuration.vendors[.braze]!.rateLimit = .init(requests: quota.requests, windowSeconds: 10)
            configuration.vendors[.braze]!.batching.maxSize = 1
            configuration.vendors[.braze]!.maxConcurrency = 1
            configuration.vendors[.braze]!.retry.initialBackoffMilliseconds = 20
            configuration.vendors[.braze]!.retry.maxBackoffMilliseconds = 200
            let injected = 12
            func injectFaults() async {
                await sandbox.inject(.status(503), count: 3, into: .braze)
                await sandbox.inject(.status(429, retryAfterSeconds: 1), count: 1, into: .braze)
                await sandbox.inject(.status(502), count: 1, into: .braze)
                await sandbox.inject(.status(429, retryAfterSeconds: 2), count: 1, into: .braze)
            }
            try await withRelay(
                configuration: configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                await injectFaults()
                try await Kcat.produce(bootstrap: testbed.bootstrapServers, topic: "user-erasure", keyed: requests)
                // More faults once the first window's quota is spent and the lane runs at its limit.
                _ = try await collector.wait(for: quota.requests - 50, timeout: .seconds(60))
                await injectFaults()
                _ = try await collector.wait(for: count, timeout: .seconds(90))
            }
            let record = await sandbox.record(of: .braze)
            #expect(record.injectedFaults == injected, "the faults were not all played")
            #expect(record.quotaViolations == 0)
            #expect(record.callsBeforeRetryAfter == 0, "a call left before the vendor's Retry-After had passed")
            #expect(record.peakCallsInWindow <= quota.requests)
            #expect(record.calls == count + injected, "one call per identifier, and one more per fault")
            #expect(Set(record.deleted["external_ids"] ?? []) == Set((0..<count).map { "u-\($0)" }))
        }
        #expect(collector.all.allSatisfy { $0.status == .completed })
    }

    /// 5xx answers by the dozen while the lane runs at its quota: more retried calls than the limiter's 2% margin
    /// could absorb (12 of 600), so a lane whose retries skipped the limiter would go over.
    @Test func aFaultMixBeyondTheLimitersMarginStillKeepsToTheQuota() async throws {
        let count = 700
        let quota = SandboxConfiguration.Quota(requests: 600, windowSeconds: 10)
        var sandboxConfiguration = SandboxConfiguration()
        sandboxConfiguration.quotas[.braze] = quota
        let requests = (0..<count).map {
            (key: "k\($0)", value: requestJSON(id: "r-\($0)", subject: ["external_id": "u-\($0)"], vendors: ["braze"]))
        }
        let collector = OutcomeCollector()
        try await withRelayTestbed(partitions: 2, sandbox: sandboxConfiguration, logger: logger) { testbed in
            let sandbox = testbed.sandbox
            var configuration = testbed.configuration
            configuration.vendors[.braze]!.rateLimit = .init(requests: quota.requests, windowSeconds: 10)
            configuration.vendors[.braze]!.batching.maxSize = 1
            configuration.vendors[.braze]!.maxConcurrency = 4
            configuration.vendors[.braze]!.retry.initialBackoffMilliseconds = 20
            configuration.vendors[.braze]!.retry.maxBackoffMilliseconds = 200
            let injected = 60
            try await withRelay(
                configuration: configuration,
                bootstrapServers: testbed.bootstrapServers,
                logger: logger,
                collector: collector
            ) {
                try await Kcat.produce(bootstrap: testbed.bootstrapServers, topic: "user-erasure", keyed: requests)
                _ = try await collector.wait(for: 300, timeout: .seconds(60))
                // Three faults at a time, then 15 outcomes: a few seconds of calls at the quota with a retry in
                // every fifth, never enough in a row to exhaust an identifier's retries and park it.
                for round in 0..<injected / 3 {
                    await sandbox.inject(.status(503), count: 2, into: .braze)
                    await sandbox.inject(.status(502), count: 1, into: .braze)
                    _ = try await collector.wait(for: 300 + 15 * (round + 1), timeout: .seconds(60))
                }
                _ = try await collector.wait(for: count, timeout: .seconds(90))
            }
            let record = await sandbox.record(of: .braze)
            #expect(record.injectedFaults == injected, "the faults were not all played")
            #expect(record.quotaViolations == 0)
            #expect(record.peakCallsInWindow <= quota.requests)
            #expect(record.calls == count + injected, "one call per identifier, and one more per fault")
        }
        #expect(collector.all.allSatisfy { $0.status == .completed })
    }
}

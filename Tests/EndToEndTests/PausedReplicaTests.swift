import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Logging
import Testing
import VendorSandbox

/// A replica frozen past the session timeout (SIGSTOP, as a stalled host or a debugger does) has lost its partitions
/// to another member by the time it runs again. It must stop calling vendors for the requests it held: their new
/// owner reads them again and calls the vendors for them, out of the same account's quota.
///
/// Three processes at the quota load two cores enough to unsettle the quota counts of tests running beside it, so it
/// runs on its own: `ERASURE_RELAY_ALONE=1 swift test --filter PausedReplicaTests` (CI does, after the suite).
@Suite(
    "A replica paused past the session timeout",
    .serialized,
    .timeLimit(.minutes(4)),
    .enabled(if: ProcessInfo.processInfo.environment["ERASURE_RELAY_ALONE"] == "1")
)
struct PausedReplicaTests {
    let logger = TestLogs.logger(label: "paused-replica")

    @Test func aResumedReplicaNeverSpendsTheQuotaItsPartitionsNewOwnerHolds() async throws {
        let executable = erasureRelayExecutable()
        let broker = try ChildProcess(executable, ["dev-broker", "--partitions", "4"])
        let bootstrap = try await broker.firstLine()
        var sandboxConfiguration = SandboxConfiguration()
        // The sandbox refuses the 41st call in any second. The replicas share 36 a second of it: the rest is room for
        // calls that a loaded machine delivers bunched, while a resumed replica spending its old half on top would
        // exceed it by far. A rate the machine is far from saturated by keeps outcomes prompt, so that few requests
        // are left half done at a rebalance.
        sandboxConfiguration.quotas[.engagelab] = .init(requests: 40, windowSeconds: 1)
        sandboxConfiguration.keepsReceivedCalls = true
        try await withSandbox(sandboxConfiguration, logger: logger) { sandbox async throws in
            let port = try #require(URLComponents(string: await sandbox.baseURLs()[.engagelab]!)?.port)
            // The two replicas address the sandbox differently, so that each call's Host header says which sent it.
            let pausedConfig = try Self.writeConfiguration(bootstrap: bootstrap, engageLab: "http://localhost:\(port)")
            let otherConfig = try Self.writeConfiguration(bootstrap: bootstrap, engageLab: "http://127.0.0.1:\(port)")
            defer {
                for path in [pausedConfig, otherConfig] { try? FileManager.default.removeItem(atPath: path) }
            }
            let callsFromPaused = {
                await sandbox.receivedCalls(ofVendorNamed: "engagelab").count {
                    $0.authority?.hasPrefix("localhost") == true
                }
            }
            let count = 1600
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure",
                keyed: (0..<count).map {
                    (
                        key: "k\($0)",
                        value: requestJSON(
                            id: "r-\($0)",
                            subject: ["engagelab_registration_ids": ["reg-\($0)"]],
                            vendors: ["engagelab"]
                        )
                    )
                }
            )
            let paused = try ChildProcess(executable, ["run", "--config", pausedConfig])
            let other = try ChildProcess(executable, ["run", "--config", otherConfig])
            defer {
                paused.signal(SIGCONT)
                paused.signal(SIGKILL)
                other.signal(SIGKILL)
            }
            // Both replicas hold partitions and erase requests from them.
            try await until("both replicas publish outcomes") {
                Self.outcomesPublished(by: paused) >= 20 && Self.outcomesPublished(by: other) >= 20
            }
            paused.signal(SIGSTOP)
            // Past the 6 s session timeout the coordinator gives the frozen replica's partitions, and their share of
            // the quota, to the other one: wait until it has them all and spends the whole quota. (A cooperative
            // rebalance's second round may still report an empty assignment to the other replica first.)
            try await until("the other replica takes over the frozen one's partitions") {
                Self.quotaShares(of: other).last.map { $0 > 0.99 } ?? false
            }
            // The frozen replica runs again while the other still erases at the whole quota, but near enough to the
            // end of the backlog that little of the other's work is still uncommitted when the group rebalances to
            // take the resumed replica back: that work is erased again, as at-least-once allows, and would blur
            // what this test counts.
            try await until("all but 100 requests are erased") {
                await Set(sandbox.record(of: .engagelab).deleted["registration_id"] ?? []).count >= count - 100
            }
            #expect(await sandbox.record(of: .engagelab).quotaViolations == 0)
            let callsBeforeResuming = await callsFromPaused()
            paused.signal(SIGCONT)
            // librdkafka reports the lost assignment once it hears from the coordinator, up to a heartbeat after the
            // process runs again. Until then the resumed replica holds its calls itself: what reaches the vendor
            // is at most the one call it had under way when it was frozen.
            try await paused.waitForOutput(containing: "Partitions lost", timeout: .seconds(30))
            let callsUntilTheLoss = await callsFromPaused() - callsBeforeResuming
            #expect(callsUntilTheLoss <= 1, "the resumed replica called the vendor before it learnt of its loss")
            try await until("every request is erased", within: .seconds(120)) {
                Set(await sandbox.record(of: .engagelab).deleted["registration_id"] ?? []).count == count
            }
            // Work the resumed replica failed to drop would wait in its lane for a share of the quota, which it has
            // again once the group gives it partitions back. A request it then reads enters the lane behind that
            // work: once such a request is erased, nothing it held is still to be sent.
            var regained: [Int32] = []
            try await until("the resumed replica holds request partitions again") {
                regained = Self.requestPartitionsAssignedAfterLoss(to: paused)
                return !regained.isEmpty
            }
            for partition in regained {
                try await Kcat.produce(
                    bootstrap: bootstrap,
                    topic: "user-erasure",
                    partition: partition,
                    lines: [
                        requestJSON(
                            id: "r-late-\(partition)",
                            subject: ["engagelab_registration_ids": ["late-\(partition)"]],
                            vendors: ["engagelab"]
                        )
                    ]
                )
            }
            try await until("the resumed replica erases the requests read after it got partitions back") {
                Set(await sandbox.record(of: .engagelab).deleted["registration_id"] ?? [])
                    .isSuperset(of: regained.map { "late-\($0)" })
            }
            let record = await sandbox.record(of: .engagelab)
            let erased = record.deleted["registration_id"] ?? []
            // The frozen replica says how many started requests it lost. Their new owner erases them; had the
            // resumed replica sent them too, each would be erased twice (all of them, about 780, when its work was
            // not dropped). What at-least-once allows besides, the calls under way at a rebalance and the requests
            // whose outcomes were not yet acknowledged, stayed between 1 and 8 in this test's runs.
            let lost = try #require(Self.droppedInFlight(by: paused))
            #expect(lost > 100, "the frozen replica held started requests when it lost its partitions")
            let twice = erased.count - Set(erased).count
            #expect(twice < lost / 2, "\(twice) identifiers erased twice, of \(lost) requests the frozen replica lost")
            // Until librdkafka reports the loss, the resumed replica holds its calls itself.
            #expect(
                paused.standardOutput.contains("did not run for longer than the session timeout"),
                "the resumed replica did not hold its vendor calls"
            )
            #expect(record.quotaViolations == 0, "\(record.quotaViolations) calls beyond the shared quota")
            #expect(record.peakCallsInWindow <= 40)
            #expect(paused.isRunning && other.isRunning, "both replicas stay up")
        }
        broker.signal(SIGTERM)
        _ = try await broker.waitForExit(timeout: .seconds(20))
    }

    /// A configuration for one replica, calling EngageLab at `engageLab`, one call at a time; returns its path.
    private static func writeConfiguration(bootstrap: String, engageLab: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("erasure-relay-paused-\(UUID()).yaml").path
        try """
        kafka:
          bootstrap_servers: "\(bootstrap)"
          group_id: paused-replica
          properties: { session.timeout.ms: "6000", heartbeat.interval.ms: "500", auto.commit.interval.ms: "200" }
        vendors:
          engagelab: { base_url: "\(engageLab)", app_key: sandbox-app-key, master_secret: sandbox-master-secret,
                       rate_limit: { requests: 36, window_seconds: 1 }, max_concurrency: 1 }
        http: { host: 127.0.0.1, port: 0 }
        parking: { signing_key: "\(testSigningKeys[0].value)" }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The started requests the relay dropped when it lost its partitions, from its log.
    private static func droppedInFlight(by relay: ChildProcess) -> Int? {
        relay.standardOutput.split(separator: "\n").first { $0.contains("Partitions lost") }
            .flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .flatMap { ($0["dropped_in_flight"] as? String).flatMap(Int.init) }
    }

    /// The request topic's partitions assigned to the relay after it lost its partitions, from its log.
    private static func requestPartitionsAssignedAfterLoss(to relay: ChildProcess) -> [Int32] {
        let log = relay.standardOutput
        guard let loss = log.range(of: "Partitions lost") else { return [] }
        return log[loss.upperBound...].split(separator: "\n").filter { $0.contains("Partitions assigned") }
            .flatMap { $0.matches(of: /user-erasure\[(\d+)\]/).compactMap { Int32($0.output.1) } }
    }

    /// The quota share after each assignment, in order, from the relay's log.
    private static func quotaShares(of relay: ChildProcess) -> [Double] {
        relay.standardOutput.split(separator: "\n").filter { $0.contains("Partitions assigned") }
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .compactMap { ($0["quota_share"] as? String).flatMap(Double.init) }
    }

    private static func outcomesPublished(by relay: ChildProcess) -> Int {
        relay.standardOutput.components(separatedBy: "Outcome published").count - 1
    }

    /// Checks `condition` every 100 ms until it holds, or throws naming `what` after `within`.
    private func until(
        _ what: String,
        within: Duration = .seconds(90),
        _ condition: () async -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + within
        while await !condition() {
            guard ContinuousClock.now < deadline else { throw ChildProcessError("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

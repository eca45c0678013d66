import ErasureRelay
import ErasureRelaySandboxBridge
import ErasureRelayTestSupport
import Logging
import Testing
import VendorSandbox

extension AgainstTheSandbox {
    /// A vendor that erases as a job (Segment's regulations), through a lane against the stand-in built from its
    /// definition: the accepted erasure names its job, and status checks spend the lane's quota and read the job's
    /// state as the vendor gives it.
    @Suite("Deletion jobs through a lane", .timeLimit(.minutes(2)))
    struct DeletionJobStandInTests {
        let logger = TestLogs.quietLogger(label: "test")

        /// Erases each subject in turn through the vendor of `file`, one job each, then checks every job until it
        /// ends or `maxChecks` pass, against the stand-in built from the definition or `documented`, one written from
        /// the vendor's documentation.
        private func run(
            _ subjects: [Subject],
            file: String = "segment.yaml",
            documented: DeclaredStandIn? = nil,
            maxChecks: Int = 6,
            faults: (VendorSandbox, String) async -> Void = { _, _ in }
        ) async throws -> (erased: [VendorResult], states: [[JobState?]], record: SandboxRecord) {
            let (vendor, standInSettings) = try exampleVendor(file)
            var configuration = SandboxConfiguration()
            configuration.declared = [
                try documented ?? #require(DeclaredStandIn(vendor: vendor, settings: standInSettings))
            ]
            configuration.declared[0].quota = .init(requests: 50, windowSeconds: 1)
            return try await withVendorHTTPClient { client in
                try await withSandbox(configuration) { sandbox async throws in
                    let url = try #require(await sandbox.baseURLsByName()[vendor.rawValue])
                    var (_, settings) = try exampleVendor(file, base: url)
                    settings.batching.lingerMilliseconds = 1
                    settings.retry.initialBackoffMilliseconds = 10
                    settings.retry.maxBackoffMilliseconds = 50
                    settings.rateLimits = [.init(requests: 50, windowSeconds: 1)]
                    let lane = VendorLane(
                        adapter: settings.makeAdapter(),
                        settings: settings,
                        transport: HTTPVendorTransport(client: client),
                        logger: logger
                    )
                    return try await withRunningLanes([lane]) {
                        var erased: [VendorResult] = []
                        for (index, subject) in subjects.enumerated() {
                            erased.append(try #require(await lane.erase(.testing(subject, id: "r-\(index)"))))
                        }
                        await faults(sandbox, vendor.rawValue)
                        var states: [[JobState?]] = []
                        for result in erased {
                            var seen: [JobState?] = []
                            let jobID = try #require(result.reference)
                            for _ in 0..<maxChecks {
                                let checked = try #require(await lane.checkJob(jobID))
                                seen.append(checked.status == .accepted ? checked.jobState : nil)
                                if checked.jobState == .done || checked.jobState.map({ $0 != .running }) == true {
                                    break
                                }
                            }
                            states.append(seen)
                        }
                        return (erased, states, try #require(await sandbox.record(ofVendorNamed: vendor.rawValue)))
                    }
                }
            }
        }

        @Test func aJobThatRunsThenFinishesIsDoneAndOneThatFailsIsFailed() async throws {
            let (erased, states, record) = try await run([
                Subject(externalID: "job-runs-2-alice"),
                Subject(externalID: "job-fails-bob"),
                Subject(externalID: "carol"),
            ])
            #expect(erased.allSatisfy { $0.status == .accepted && $0.untracedJobs == nil })
            #expect(Set(erased.compactMap(\.reference)).count == 3, "one job per erasure")
            #expect(states[0] == [.running, .running, .done])
            #expect(states[1] == [.running, .failed(reason: "the vendor reports the job FAILED")])
            #expect(states[2] == [.running, .done])
            #expect(record.jobChecks == 7)
            #expect(record.malformedCalls == 0)
            #expect(record.quotaViolations == 0)
            // Each check is a call the vendor meters, as the erasures are.
            #expect(record.calls == 3 + 7)
        }

        /// Segment's and Mixpanel's definitions against stand-ins written from their documentation alone: each
        /// erasure names its job, and each job's status is read as the vendor writes it. Mixpanel's status answer
        /// lists the task's distinct ids; nothing of it but the state reaches the result.
        @Test(
            arguments: [
                ("segment.yaml", "FAILED"),
                ("mixpanel.yaml", "FAILURE"),
            ]
        )
        func aDefinitionPassesItsDocumentedJobStandIn(file: String, failedState: String) async throws {
            let documented: DeclaredStandIn =
                file == "segment.yaml"
                ? .segment(token: sandboxCredential("SEGMENT_PUBLIC_API_TOKEN"))
                : .mixpanel(
                    projectToken: sandboxCredential("MIXPANEL_PROJECT_TOKEN"),
                    oauthToken: sandboxCredential("MIXPANEL_GDPR_OAUTH_TOKEN")
                )
            let (erased, states, record) = try await run(
                [Subject(externalID: "job-runs-2-alice"), Subject(externalID: "job-fails-bob")],
                file: file,
                documented: documented
            )
            #expect(erased.allSatisfy { $0.status == .accepted && $0.reference != nil && $0.untracedJobs == nil })
            #expect(states[0] == [.running, .running, .done])
            #expect(states[1] == [.running, .failed(reason: "the vendor reports the job \(failedState)")])
            #expect(record.malformedCalls == 0)
            #expect(record.jobChecks == 5)
            #expect(Set(record.deleted.values.joined()) == ["job-runs-2-alice", "job-fails-bob"])
        }

        /// A status endpoint that fails for a while is retried through the lane; the job's state is read once it
        /// answers, and a failing check never becomes done.
        @Test func aFailingStatusCheckIsRetriedAndNeverReadAsDone() async throws {
            let (_, states, record) = try await run(
                [Subject(externalID: "job-runs-0-dave")],
                faults: { sandbox, name in
                    await sandbox.inject(.status(503), count: 2, intoVendorNamed: name)
                }
            )
            #expect(states[0] == [JobState.done])
            #expect(record.injectedFaults == 2)
        }
    }
}

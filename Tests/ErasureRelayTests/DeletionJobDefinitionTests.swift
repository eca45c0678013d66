import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import NIOHTTP1
import Testing

@Suite("Deletion job definitions")
struct DeletionJobDefinitionTests {
    /// The validation suite's definition, with an answer reference and `job` as given.
    static func definition(job: String, reference: Bool = true) -> String {
        DeclaredVendorConfigurationTests.definition(answersExtra: reference ? "reference: data.id" : "")
            + "\n    job: \(job)\n"
    }

    static let job =
        "{ status: { method: GET, url: \"/v1/jobs/{job_id}?project={project}\" }, state: data.status, "
        + "running: [queued, running], done: [done], failed: [failed] }"

    @Test func theSegmentExampleFollowsItsRegulations() throws {
        let (_, settings) = try exampleVendor("segment.yaml")
        let definition = try #require(settings.account as? HTTPVendorDefinition)
        let job = try #require(definition.job)
        #expect(job.method == .GET)
        #expect(job.done == ["FINISHED"])
        #expect(job.reading("RUNNING") == .running)
        #expect(job.reading("PARTIAL_SUCCESS") == .failed(reason: "the vendor reports the job PARTIAL_SUCCESS"))
        #expect(job.reading("finished") == nil, "a state is read exactly as the definition writes it")
        #expect(
            definition.configurationLines(revealingSecrets: false).last?.hasPrefix("job: { status: { method: GET")
                == true
        )
    }

    @Test(
        "A job definition that could confirm what it never asked about is refused, naming the key",
        arguments: [
            (definition(job: job, reference: false), "vendors.acme.answers.reference", "is required with job"),
            (
                definition(job: job.replacingOccurrences(of: "{job_id}", with: "all")),
                "vendors.acme.job.status.url", "never sends {job_id}"
            ),
            (
                definition(job: job.replacingOccurrences(of: "{project}", with: "{token}")),
                "vendors.acme.job.status.url", "names the secret {token}"
            ),
            (
                definition(job: job.replacingOccurrences(of: "{project}", with: "{identifier}")),
                "vendors.acme.job.status.url", "unknown placeholder {identifier}"
            ),
            (
                definition(job: job.replacingOccurrences(of: "done: [done]", with: "done: []")),
                "vendors.acme.job.done", "is required"
            ),
            (
                definition(job: job.replacingOccurrences(of: "failed: [failed]", with: "failed: [done]")),
                "vendors.acme.job.failed", "shares the state done"
            ),
            (
                definition(job: job.replacingOccurrences(of: "state: data.status", with: "state: \"a..b\"")),
                "vendors.acme.job.state", "must be a path"
            ),
            (
                definition(job: job.dropLast(2) + ", check_every_seconds: 600, give_up_after_seconds: 60 }"),
                "vendors.acme.job.give_up_after_seconds", "must be at least check_every_seconds"
            ),
            (
                definition(job: job.replacingOccurrences(of: "state:", with: "poll: 1, state:")),
                "vendors.acme.job.poll", "is not a known setting"
            ),
        ]
    )
    func aBadJobIsRefused(yaml: String, key: String, message: String) {
        #expect {
            try RelayConfiguration(yaml: yaml, environment: DeclaredVendorConfigurationTests.environment)
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.key == key && error?.message.contains(message) == true
        }
    }

    /// A status call carries the job's id and the settings it names, the vendor's auth, and nothing of the request;
    /// only a success whose state the definition lists says anything of the job.
    @Test func aStatusCallNamesTheJobAndItsAnswerIsReadStrictly() throws {
        let adapter = try DeclaredVendorConfigurationTests.adapter(Self.definition(job: Self.job))
        #expect(adapter.followsJobs)
        let item = try #require(adapter.jobStatusItem(for: "j/1"))
        let call = adapter.call(for: [item], now: .now())
        #expect(call.method == .GET)
        #expect(call.pathAndQuery == "/v1/jobs/j%2F1?project=p+1")
        #expect(call.headers.contains { $0.0 == "Authorization" && $0.1 == "Bearer t0ken" })
        #expect(call.body == nil)
        func check(_ status: Int, _ body: String) -> String {
            let response = VendorResponse(status: status, headers: HTTPHeaders(), body: Array(body.utf8))
            switch adapter.jobChecked(response, for: item) {
            case .state(let state)?: return "\(state)"
            case .answered(.retriable)?: return "retriable"
            case .answered(.rejected)?: return "rejected"
            case .answered(.accepted)?: return "accepted"
            case nil: return "not a job check"
            }
        }
        #expect(check(200, #"{"data":{"status":"running"}}"#) == "running")
        #expect(check(200, #"{"data":{"status":"done"}}"#) == "done")
        #expect(check(200, #"{"data":{"status":"failed","reason":"a@b.example"}}"#).contains("failed"))
        #expect(!check(200, #"{"data":{"status":"failed","reason":"a@b.example"}}"#).contains("a@b"))
        #expect(check(200, #"{"data":{"status":"DONE"}}"#) == "rejected")
        #expect(check(200, #"{"data":{}}"#) == "rejected")
        #expect(check(404, #"{"data":{"status":"done"}}"#) == "rejected")
        #expect(check(503, #"{"data":{"status":"done"}}"#) == "retriable")
        #expect(check(429, "") == "retriable")
        #expect(adapter.jobStatusItem(for: "") == nil)
        #expect(adapter.jobStatusItem(for: String(repeating: "x", count: 129)) == nil)
        let erasure = adapter.items(for: .testing(Subject(email: "a@b.example")))[0]
        #expect(adapter.jobChecked(VendorResponse(status: 200, headers: HTTPHeaders(), body: []), for: erasure) == nil)
    }
}

@Suite("Deletion jobs in a lane")
struct DeletionJobLaneTests {
    /// An erasure a job vendor accepted without naming its job cannot be followed: the lane counts it, so that the
    /// request's confirmation can never say confirmed. A vendor's "no such user" names no job and is not counted.
    @Test func anAcceptedErasureThatNamesNoJobIsCounted() async throws {
        let yaml = DeletionJobDefinitionTests.definition(job: DeletionJobDefinitionTests.job)
        let configuration = try RelayConfiguration(
            yaml: yaml,
            environment: DeclaredVendorConfigurationTests.environment
        )
        var settings = try #require(configuration.vendors[VendorID(rawValue: "acme")!])
        settings.batching.lingerMilliseconds = 1
        let transport = RecordingTransport { call, _ in
            if call.pathAndQuery.contains("nobody") {
                return VendorResponse(status: 404, body: Array(#"{"error":"no such user"}"#.utf8))
            }
            let body = call.pathAndQuery.contains("alpha") ? #"{"data":{"id":"job-1"}}"# : "{}"
            return VendorResponse(status: 200, body: Array(body.utf8))
        }
        let lane = VendorLane(
            adapter: settings.makeAdapter(),
            settings: settings,
            transport: transport,
            logger: TestLogs.quietLogger(label: "test")
        )
        let results = try await withRunningLanes([lane]) {
            [
                await lane.erase(.testing(Subject(custom: ["loyalty_id": "alpha"]))),
                await lane.erase(.testing(Subject(custom: ["loyalty_id": "beta"]))),
                await lane.erase(.testing(Subject(custom: ["loyalty_id": "nobody"]))),
            ]
        }
        #expect(results[0]?.reference == "job-1")
        #expect(results[0]?.untracedJobs == nil)
        #expect(results[1]?.status == .accepted)
        #expect(results[1]?.untracedJobs == 1)
        #expect(results[2]?.status == .accepted)
        #expect(results[2]?.untracedJobs == nil)
        // Carried with parked work, so that a later pass cannot forget it.
        let progress = RequestProgress(
            receivedAt: .now(),
            source: .init(topic: "t", partition: 0, offset: 0),
            parks: 1,
            results: [try #require(results[1])]
        )
        #expect(try RequestProgress(headers: progress.headers)?.results.first?.untracedJobs == 1)
    }
}

@Suite("A request's deletion jobs")
struct JobFollowUpTests {
    let segment = VendorID(rawValue: "segment")!
    let now = Timestamp(millisecondsSinceEpoch: 1_000_000)

    func outcome(_ vendors: [VendorResult]) -> Outcome {
        Outcome(
            requestID: "r-1",
            requestDigest: "d",
            status: .completed,
            regulation: .gdpr,
            receivedAt: now,
            completedAt: now,
            deadline: nil,
            vendors: vendors,
            error: nil,
            source: .init(topic: "user-erasure", partition: 0, offset: 7)
        )
    }

    var schedules: [VendorID: HTTPVendorDefinition.Job] {
        get throws {
            let (_, settings) = try exampleVendor("segment.yaml")
            return [segment: try #require((settings.account as? HTTPVendorDefinition)?.job)]
        }
    }

    /// Every job a job vendor's result names is followed; an erasure that named none, or whose id held the
    /// person's identifier and was scrubbed, is unconfirmed from the start; other vendors, and a vendor's "no such
    /// user", have nothing to follow.
    @Test func everyNamedJobIsFollowedAndEveryUnnamedOneIsUnconfirmed() throws {
        let results = [
            VendorResult(vendor: segment, status: .accepted, reference: "a,b,[identifier]-c", untracedJobs: 2),
            VendorResult(vendor: .braze, status: .accepted, reference: "braze-ref"),
        ]
        let followUp = try #require(
            JobFollowUp(following: outcome(results), results: results, schedules: try schedules, now: now)
        )
        #expect(followUp.jobs.compactMap(\.jobID) == ["a", "b"])
        #expect(
            followUp.jobs.filter { $0.state == .following }.allSatisfy { $0.nextCheckAt == now.adding(seconds: 21_600) }
        )
        let unnamed = try #require(followUp.jobs.first { $0.jobID == nil })
        #expect(unnamed.state == .unconfirmed)
        #expect(unnamed.error == "3 accepted call(s) named no job to follow")
        #expect(followUp.nextCheckAt == now.adding(seconds: 21_600))
        #expect(!followUp.hasEnded)
        #expect(try JobFollowUp(jsonBytes: followUp.jsonBytes()) == followUp)

        let notFound = [VendorResult(vendor: segment, status: .accepted, error: VendorText.notFound)]
        #expect(JobFollowUp(following: outcome(notFound), results: notFound, schedules: try schedules, now: now) == nil)
    }

    /// A jobs record is read only within bounds: a job id longer than a reference, or a count out of range, refuses
    /// the record rather than following it.
    @Test func aRecordOutOfBoundsIsRefused() throws {
        let job = FollowedJob(vendor: segment, jobID: "j", state: .following, nextCheckAt: now, giveUpAt: now)
        func record(_ change: (inout FollowedJob) -> Void) -> [UInt8] {
            var job = job
            change(&job)
            return JobFollowUp(
                requestID: "r",
                requestDigest: nil,
                regulation: .gdpr,
                submittedAt: nil,
                completedAt: now,
                source: .init(topic: "t", partition: 0, offset: 0),
                jobs: [job]
            ).jsonBytes()
        }
        #expect(throws: Never.self) { try JobFollowUp(jsonBytes: record { _ in }) }
        #expect(throws: RequestRejection.self) {
            try JobFollowUp(jsonBytes: record { $0.jobID = String(repeating: "x", count: 129) })
        }
        #expect(throws: RequestRejection.self) { try JobFollowUp(jsonBytes: record { $0.checks = -1 }) }
        #expect(throws: RequestRejection.self) { try JobFollowUp(jsonBytes: record { $0.jobID = "" }) }
        #expect(throws: RequestRejection.self) { try JobFollowUp(jsonBytes: Array("{}".utf8)) }
    }
}

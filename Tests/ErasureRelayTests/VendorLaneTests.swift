import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Logging
import Testing

@Suite("Vendor lanes", .timeLimit(.minutes(1)))
struct VendorLaneTests {
    let logger = TestLogs.quietLogger(label: "test")
    static let braze = BrazeAccount(apiKey: Secret("k"), emailPrioritization: ["identified"])

    private func request(_ index: Int, _ subject: Subject) -> ErasureRequest {
        ErasureRequest(requestID: "r-\(index)", regulation: .gdpr, submittedAt: .now(), subject: subject)
    }

    /// Erases each request's items concurrently and returns the results in request order.
    private func eraseAll(_ lane: VendorLane, _ itemsPerRequest: [[VendorItem]]) async -> [VendorResult?] {
        await withTaskGroup(of: (Int, VendorResult?).self) { group in
            for (index, items) in itemsPerRequest.enumerated() {
                group.addTask { (index, await lane.erase(items)) }
            }
            var results = [VendorResult?](repeating: nil, count: itemsPerRequest.count)
            for await (index, result) in group { results[index] = result }
            return results
        }
    }

    private static func brazeIDs(_ call: VendorCall) -> [String: [Any]] {
        (try? JSONSerialization.jsonObject(with: Data(call.body ?? []))) as? [String: [Any]] ?? [:]
    }

    @Test func anIdleLaneSendsALoneIdentifierAtOnce() async throws {
        let transport = RecordingTransport(status: 201, body: #"{"deleted":1,"message":"success"}"#)
        // Two calls a second: the second kind's call is spaced half a second after the first, and still does not
        // wait out the linger.
        var settings = VendorSettings.testing(.braze, account: Self.braze, requests: 2, windowSeconds: 1)
        settings.batching.lingerMilliseconds = 600_000
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let result = try await withRunningLanes([lane]) {
            async let result = lane.erase(adapter.items(for: request(0, Subject(externalID: "u-0", email: "a@b.co"))))
            // With no call in flight, the ten-minute linger is not waited out: both kinds leave, one call each.
            try await transport.waitForCalls(2, timeout: .seconds(10))
            return await result
        }
        #expect(result?.status == .accepted)
        #expect(transport.recordedCalls.count == 2)
    }

    /// A batch the vendor answers 503 comes back as one call after one backoff, not as one call per identifier.
    @Test func aFailedBatchIsRetriedAsOneCall() async throws {
        let transport = RecordingTransport { _, index in
            index < 3
                ? VendorResponse(status: 503, body: Array(#"{"message":"unavailable"}"#.utf8))
                : VendorResponse(status: 201, body: Array(#"{"deleted":16,"message":"success"}"#.utf8))
        }
        let settings = VendorSettings.testing(.braze, account: Self.braze)
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let aliases = (0..<16).map { UserAlias(aliasName: "alias-\($0)", aliasLabel: "crm") }
        let result = try await withRunningLanes([lane]) {
            await lane.erase(adapter.items(for: request(0, Subject(userAliases: aliases))))
        }
        #expect(result?.status == .accepted)
        #expect(result?.attempts == 4)
        let sizes = transport.recordedCalls.map { (Self.brazeIDs($0)["user_aliases"] ?? []).count }
        #expect(sizes == [16, 16, 16, 16])
    }

    @Test func fiftyOneBrazeIDsMakeTwoCalls() async throws {
        let transport = RecordingTransport(status: 201, body: #"{"deleted":1,"message":"success"}"#)
        var settings = VendorSettings.testing(.braze, account: Self.braze)
        // Only a full batch leaves before the flush below, however slowly the 51 requests arrive.
        settings.batching.lingerMilliseconds = 600_000
        settings.batching.lingerWhenIdle = true
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let items = (0..<51).map { adapter.items(for: request($0, Subject(externalID: "u-\($0)"))) }
        let results = try await withRunningLanes([lane]) {
            async let results = eraseAll(lane, items)
            try await transport.waitForCalls(1)
            await lane.flush()
            return await results
        }
        #expect(results.allSatisfy { $0?.status == .accepted && $0?.attempts == 1 && $0?.identifiers == 1 })
        let sizes = transport.recordedCalls.map { Self.brazeIDs($0)["external_ids"]?.count ?? 0 }.sorted()
        #expect(sizes == [1, 50])
    }

    @Test func mixedKindsNeverShareACall() async throws {
        let transport = RecordingTransport(status: 201, body: #"{"deleted":1,"message":"success"}"#)
        var settings = VendorSettings.testing(.braze, account: Self.braze)
        // The three requests gather in one batch per kind, however the lane's first look falls between them.
        settings.batching.lingerWhenIdle = true
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let subject = Subject(
            externalID: "u",
            brazeID: "b",
            email: "a@b.co",
            phone: "+15551234567",
            userAliases: [UserAlias(aliasName: "n", aliasLabel: "l")]
        )
        let items = (0..<3).map { adapter.items(for: request($0, subject)) }
        let results = try await withRunningLanes([lane]) { await eraseAll(lane, items) }
        #expect(results.allSatisfy { $0?.status == .accepted && $0?.identifiers == 5 })
        let calls = transport.recordedCalls.map(Self.brazeIDs)
        #expect(calls.count == 5)
        #expect(calls.allSatisfy { $0.count == 1 && $0.values.first?.count == 3 })
    }

    @Test func aGDPRBatchStopsBeforeTheDocumented100KB() async throws {
        let transport = RecordingTransport(status: 200, body: #"{"status":"success","request_id":"ref"}"#)
        var settings = VendorSettings.testing(
            .moengageGDPR,
            account: .moengageGDPR(
                appID: "A",
                apiKey: Secret("k"),
                maxPayloadBytes: MoEngageGDPRAdapter.defaultMaxPayloadBytes
            )
        )
        settings.batching.maxSize = 100
        settings.batching.lingerWhenIdle = true
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let longID = String(repeating: "x", count: 500)
        let subject = Subject(
            externalID: longID,
            email: "\(longID)@example.com",
            googleAdvertisingID: longID,
            advertisingIdentifier: longID
        )
        // 60 users of about 2 KB each: too many bytes for one payload, too few users to fill the count limit.
        let items = (0..<60).map { adapter.items(for: request($0, subject)) }
        let results = try await withRunningLanes([lane]) { await eraseAll(lane, items) }
        #expect(results.allSatisfy { $0?.status == .accepted && $0?.reference == "ref" })
        let sizes = transport.recordedCalls.map { $0.body!.count }
        #expect(sizes.count >= 2)
        // "There is a max limit of 100kb per request."
        #expect(sizes.allSatisfy { $0 <= 100_000 })
        #expect(sizes.max()! > 90_000, "batches fill the payload rather than stopping far short of it")
    }

    /// A request whose identifiers go in several calls is accepted only when every call took them: Braze takes the
    /// external id and refuses the e-mail for good, so the request fails for Braze, though one call succeeded.
    @Test func aRequestPartlyAcceptedEndsFailedNeverAccepted() async throws {
        let transport = RecordingTransport { call, _ in
            Self.brazeIDs(call)["email_addresses"] != nil
                ? VendorResponse(status: 400, body: Array(#"{"message":"invalid email"}"#.utf8))
                : VendorResponse(status: 201, body: Array(#"{"deleted":1,"message":"success"}"#.utf8))
        }
        let settings = VendorSettings.testing(.braze, account: Self.braze)
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let items = adapter.items(for: request(0, Subject(externalID: "u-0", email: "a@b.co")))
        let result = try await withRunningLanes([lane]) { await lane.erase(items) }
        #expect(transport.recordedCalls.count == 2, "one call per identifier kind")
        #expect(result?.status == .failed)
        #expect(result?.identifiers == 2)
        #expect(result?.error?.contains("HTTP 400") == true)
    }

    @Test func vendorTextEchoingIdentifiersIsScrubbedFromEveryRequestsResult() async throws {
        // Braze refuses every call with a message that echoes the whole body sent, in capitals, and an error list
        // long enough to need cutting: a call batches several requests' identifiers, and none may reach a result.
        let transport = RecordingTransport { call, _ in
            let sent = String(decoding: call.body ?? [], as: UTF8.self)
            let body: [String: Any] = [
                "message": "cannot process \(sent.uppercased())",
                "errors": Array(repeating: "rejected \(sent)", count: 20),
            ]
            return VendorResponse(status: 403, body: Array(try JSONSerialization.data(withJSONObject: body)))
        }
        let settings = VendorSettings.testing(.braze, account: Self.braze, maxAttempts: 1)
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let subjects = (0..<4).map {
            Subject(
                externalID: "user-\($0)",
                email: "Person.\($0)@Example.com",
                userAliases: [UserAlias(aliasName: "alias-\($0)", aliasLabel: "crm")]
            )
        }
        let items = subjects.enumerated().map { adapter.items(for: request($0.offset, $0.element)) }
        let results = try await withRunningLanes([lane]) { await eraseAll(lane, items) }
        let identifiers = (0..<4).flatMap { ["user-\($0)", "person.\($0)@example.com", "alias-\($0)"] }
        for result in results {
            let error = try #require(result?.error)
            #expect(result?.status == .failed)
            #expect(error.hasPrefix("HTTP 403: cannot process"))
            #expect(error.contains(VendorText.placeholder))
            #expect(error.count <= VendorText.maxLength + 1)
            for identifier in identifiers {
                #expect(!error.lowercased().contains(identifier), "a result holds \(identifier)")
            }
        }
    }

    @Test func scrubbingCatchesPercentEncodedPathsAndKeepsTheRest() {
        let item = VendorItem(kind: "registration_id", payload: Array("reg/1?x".utf8), values: ["reg/1?x"])
        #expect(
            VendorText.scrub("DELETE /v4/devices/reg%2F1%3Fx failed: reset", of: [item])
                == "DELETE /v4/devices/[identifier] failed: reset"
        )
        #expect(VendorText.scrub("HTTP 404 for REG/1?X", of: [item]) == "HTTP 404 for [identifier]")
        #expect(VendorText.scrub("HTTP 503", of: [item]) == "HTTP 503")
        #expect(VendorText.scrub(String(repeating: "a", count: 400), of: []).count == VendorText.maxLength + 1)
    }

    @Test func retriesTransientFailuresUntilAccepted() async throws {
        let transport = RecordingTransport { _, index in
            switch index {
            case 0: throw SimulatedTransportError("connection reset")
            case 1: return VendorResponse(status: 503)
            default: return VendorResponse(status: 200, body: Array(#"{"success":true}"#.utf8))
            }
        }
        let settings = VendorSettings.testing(.engagelab, account: .engagelab(appKey: "a", masterSecret: Secret("s")))
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let result = try await withRunningLanes([lane]) {
            await lane.erase(adapter.items(for: request(0, Subject(engagelabRegistrationIDs: ["reg"]))))
        }
        #expect(result?.status == .accepted)
        #expect(result?.attempts == 3)
        #expect(result?.httpStatus == 200)
    }

    @Test func stopsAfterTheRetryBudget() async throws {
        let transport = RecordingTransport(status: 500, body: "")
        let settings = VendorSettings.testing(
            .engagelab,
            account: .engagelab(appKey: "a", masterSecret: Secret("s")),
            maxAttempts: 4
        )
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let result = try await withRunningLanes([lane]) {
            await lane.erase(adapter.items(for: request(0, Subject(engagelabRegistrationIDs: ["reg"]))))
        }
        #expect(result?.status == .failed)
        #expect(result?.attempts == 4)
        #expect(result?.error == "retries exhausted after 4 attempts: HTTP 500")
        #expect(transport.recordedCalls.count == 4)
    }

    @Test func anOutageReleasesTheWorkWaitingInTheLane() async throws {
        let transport = RecordingTransport(status: 500, body: "")
        let settings = VendorSettings.testing(
            .engagelab,
            account: .engagelab(appKey: "a", masterSecret: Secret("s")),
            maxConcurrency: 1,
            maxAttempts: 3
        )
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let results = try await withRunningLanes([lane]) {
            await eraseAll(
                lane,
                (0..<5).map { adapter.items(for: request($0, Subject(engagelabRegistrationIDs: ["reg-\($0)"]))) }
            )
        }
        #expect(results.allSatisfy { $0?.status == .failed && $0?.retriesExhausted == true })
        #expect(results.contains { $0?.attempts == 3 })
        // Without the outage, five requests would make fifteen calls, one at a time.
        #expect(transport.recordedCalls.count < 15)
        #expect(
            results.filter { $0?.error?.hasPrefix("vendor unavailable (HTTP 500); retries stopped") == true }.count >= 1
        )
    }

    @Test func anAbandonedLaneReturnsNil() async throws {
        let transport = UnansweringTransport()
        let settings = VendorSettings.testing(.engagelab, account: .engagelab(appKey: "a", masterSecret: Secret("s")))
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let result = try await withRunningLanes([lane]) {
            async let erased = lane.erase(adapter.items(for: request(0, Subject(engagelabRegistrationIDs: ["r"]))))
            try await transport.waitForFirstCall()
            await lane.abandonAll()
            return await erased
        }
        #expect(result == nil)
    }
}

/// A vendor that never answers: each call waits until it is cancelled.
final class UnansweringTransport: VendorTransport {
    private let calls = Watched(0)

    func waitForFirstCall() async throws {
        _ = try await calls.wait(timeout: .seconds(30)) { $0 > 0 }
    }

    func send(_ call: VendorCall, baseURL: String, timeout: Duration) async throws -> VendorResponse {
        calls.update { $0 += 1 }
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    }
}

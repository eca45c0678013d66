import ErasureRelayTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import ErasureRelay

/// The lane's decisions on instants the tests choose: nothing here reads a clock or waits.
@Suite("Lane state machine")
struct LaneStateMachineTests {
    static let braze = BrazeAccount(apiKey: Secret("k"), emailPrioritization: ["identified"])
    static let engagelab = EngageLabAccount(appKey: "a", masterSecret: Secret("s"))
    static let accepted = VendorResponse(status: 201, body: Array(#"{"deleted":1,"message":"success"}"#.utf8))
    static let unavailable = VendorResponse(status: 503, body: Array(#"{"message":"unavailable"}"#.utf8))

    private static func brazeIDs(_ call: VendorCall) -> [String: [String]] {
        (try? JSONSerialization.jsonObject(with: Data(call.body ?? []))) as? [String: [String]] ?? [:]
    }

    /// The latency promise for the common subject shape: an external id, an e-mail and a phone go to Braze in three
    /// calls, and an idle lane starts all three at once. A lane that has just started a call is busy: what arrives
    /// next lingers, so that batches fill under load.
    @Test func anIdleLaneSendsEveryKindAtOnceAndABusyOneLingers() {
        var settings = VendorSettings.testing(.braze, account: Self.braze)
        settings.batching.lingerMilliseconds = 50
        var lane = DrivenLane(settings)
        let first = lane.erase(Subject(externalID: "u-0", email: "a@b.co", phone: "+15550100"))
        lane.advance(to: .milliseconds(1))
        #expect(lane.started.count == 3)
        // As fast as the limiter spaces calls (100,000 a second here), not after the linger.
        #expect(lane.started.allSatisfy { $0.at < .milliseconds(1) && $0.call.items.count == 1 })

        let second = lane.erase(Subject(externalID: "u-1"))
        lane.answerAll(with: Self.accepted)
        #expect(lane.result(of: first)??.status == .accepted)
        #expect(lane.started.count == 3, "a call started a millisecond ago: the new identifier lingers")
        #expect(lane.pendingWakes == [.milliseconds(51)])

        lane.advance(to: .milliseconds(51))
        #expect(lane.started.count == 4)
        lane.answerAll(with: Self.accepted)
        #expect(lane.result(of: second)??.status == .accepted)
    }

    /// Kinds the rate limiter spaces still leave when the limiter allows, not after the linger: the lane was idle
    /// when they arrived.
    @Test func kindsTheLimiterSpacesLeaveWhenItAllowsNotAfterTheLinger() throws {
        var settings = VendorSettings.testing(.braze, account: Self.braze, requests: 4, windowSeconds: 1)
        settings.batching.lingerMilliseconds = 600_000
        var lane = DrivenLane(settings)
        let request = lane.erase(Subject(externalID: "u-0", email: "a@b.co"))
        #expect(lane.started.count == 1)
        let permitted = try #require(lane.pendingWakes.first)
        #expect(permitted < .seconds(1), "the limiter's spacing, not the ten-minute linger")
        lane.answerAll(with: Self.accepted)
        lane.advance(to: permitted)
        #expect(lane.started.count == 2)
        lane.answerAll(with: Self.accepted)
        #expect(lane.result(of: request)??.status == .accepted)
    }

    /// Retried calls pass the rate limiter as first calls do: 10 calls a second, four in flight, every other answer a
    /// 503. A lane whose retries skipped the limiter made 20 calls within one second here.
    @Test func retriedCallsKeepToTheQuotaAsFirstCallsDo() {
        var settings = VendorSettings.testing(.braze, account: Self.braze, requests: 10, maxConcurrency: 4)
        settings.batching.maxSize = 1
        settings.retry.maxAttempts = 10
        var lane = DrivenLane(settings)
        let requests = (0..<20).map { lane.erase(Subject(externalID: "u-\($0)")) }
        lane.run(latency: .milliseconds(30)) { _, index in
            index.isMultiple(of: 2) ? Self.unavailable : Self.accepted
        }
        #expect(requests.allSatisfy { lane.result(of: $0)??.status == .accepted })
        let calls = lane.started.map(\.at)
        #expect(calls.count >= 30, "retries happened: \(calls.count) calls")
        let peak = calls.indices.map { start in calls[start...].prefix { $0 < calls[start] + .seconds(1) }.count }
        #expect(peak.max() ?? 0 <= 10, "\(peak.max() ?? 0) calls within one second against a quota of 10")
    }

    /// A 429 with `Retry-After` stops the whole lane, not only the call it answered, until the wait is over.
    @Test func aRetryAfterPausesTheWholeLane() {
        let settings = VendorSettings.testing(
            .moengage,
            account: .moengage(workspaceID: "W", apiKey: Secret("k")),
            maxConcurrency: 1
        )
        var lane = DrivenLane(settings)
        let requests = (0..<3).map { lane.erase(Subject(externalID: "u-\($0)")) }
        lane.advance(to: .milliseconds(10))
        lane.answerAll(with: VendorResponse(status: 429, headers: ["Retry-After": "1"]))
        lane.advance(to: .milliseconds(1009))
        #expect(lane.started.count == 1, "nothing leaves while the vendor asked every caller to wait")
        lane.run(latency: .milliseconds(10)) { _, _ in
            VendorResponse(status: 200, body: Array(#"{"status":"success"}"#.utf8))
        }
        #expect(requests.allSatisfy { lane.result(of: $0)??.status == .accepted })
        #expect(lane.started.dropFirst().allSatisfy { $0.at >= .milliseconds(1010) })
        #expect(lane.observations.contains { if case .paused(1, _) = $0 { true } else { false } })
    }

    /// A wait beyond the retry budget is not held in memory: every request of the lane is parked until the time
    /// the vendor named, and a request arriving meanwhile is not called.
    @Test func aWaitBeyondTheBudgetParksEveryWaitingRequestUntilTheVendorsTime() {
        let settings = VendorSettings.testing(
            .moengage,
            account: .moengage(workspaceID: "W", apiKey: Secret("k")),
            maxConcurrency: 1
        )
        var lane = DrivenLane(settings)
        let requests = (0..<3).map { lane.erase(Subject(externalID: "u-\($0)")) }
        lane.advance(to: .seconds(2))
        lane.answerAll(with: VendorResponse(status: 429, headers: ["Retry-After": "3600"]))
        let waitEnds = lane.wallClock(at: .seconds(3602))
        for request in requests {
            let result = lane.result(of: request) ?? nil
            #expect(result?.status == .failed)
            #expect(result?.retriesExhausted == true)
            #expect(result?.notBefore == waitEnds)
        }
        #expect(lane.machine.waitingItems == 0)
        lane.advance(to: .seconds(3))
        let late = lane.erase(Subject(externalID: "u-late"))
        #expect(late == nil, "ended at once")
        #expect(lane.refusals.last?.notBefore == waitEnds)
        #expect(lane.started.count == 1)
    }

    /// Eight identifiers in one call, one of them refused: the refused half is halved until the bad one stands
    /// alone, and only its request fails.
    @Test func aBatchRejectedWholeIsSplitUntilTheBadIdentifierStandsAlone() {
        var settings = VendorSettings.testing(.braze, account: Self.braze)
        settings.batching.lingerWhenIdle = true
        var lane = DrivenLane(settings)
        let ids = (0..<8).map { $0 == 5 ? "bad" : "u-\($0)" }
        let requests = ids.map { lane.erase(Subject(externalID: $0)) }
        lane.advance(to: .milliseconds(20))
        lane.run(latency: .milliseconds(5)) { call, _ in
            Self.brazeIDs(call.request)["external_ids", default: []].contains("bad")
                ? VendorResponse(status: 400, body: Array(#"{"message":"invalid","errors":["bad id"]}"#.utf8))
                : Self.accepted
        }
        for (index, request) in requests.enumerated() {
            #expect(lane.result(of: request)??.status == (index == 5 ? .failed : .accepted))
        }
        #expect(lane.started.map(\.call.items.count) == [8, 4, 4, 2, 2, 1, 1])
    }

    @Test func neverMoreCallsInFlightThanTheCap() {
        let settings = VendorSettings.testing(.engagelab, account: Self.engagelab, maxConcurrency: 3)
        var lane = DrivenLane(settings)
        let requests = (0..<30).map { lane.erase(Subject(engagelabRegistrationIDs: ["r-\($0)"])) }
        lane.advance(to: .milliseconds(1))
        #expect(lane.inFlight.count == 3)
        lane.answer(lane.inFlight[0].number, with: VendorResponse(status: 200, body: Array(#"{"success":true}"#.utf8)))
        #expect(lane.inFlight.count == 3, "one call ended, one more started")
        var peak = 0
        lane.run(latency: .milliseconds(10)) { _, _ in
            VendorResponse(status: 200, body: Array(#"{"success":true}"#.utf8))
        } observing: {
            peak = max(peak, $0.inFlight.count)
        }
        #expect(peak == 3)
        #expect(requests.allSatisfy { lane.result(of: $0)??.status == .accepted })
    }

    /// A request whose caller stopped waiting leaves the lane: it ends without a result, is never sent, and the
    /// quota it would have spent goes to the next request.
    @Test func aWithdrawnRequestIsNeverSentAndSpendsNoQuota() {
        let settings = VendorSettings.testing(.engagelab, account: Self.engagelab, requests: 1, windowSeconds: 1)
        var lane = DrivenLane(settings)
        let requests = (0..<3).map { lane.erase(Subject(engagelabRegistrationIDs: ["r-\($0)"])) }
        #expect(lane.started.count == 1)
        let withdrawn = requests[1]!
        lane.withdraw([withdrawn])
        #expect(lane.result(of: withdrawn) == .some(nil))
        lane.run(latency: .milliseconds(10)) { _, _ in
            VendorResponse(status: 200, body: Array(#"{"success":true}"#.utf8))
        }
        #expect(lane.started.count == 2, "the withdrawn request was never sent")
        #expect(lane.started[1].at < .seconds(2), "the second call is the next the quota allows")
        #expect(lane.result(of: requests[2])??.status == .accepted)
    }

    /// Once retries are exhausted the vendor counts as down: of the requests that come next, one probes it and the
    /// others fail without a call, until it answers again.
    @Test func aVendorDownIsProbedByOneRequestWhileTheOthersFailFast() {
        let settings = VendorSettings.testing(.engagelab, account: Self.engagelab, maxAttempts: 3)
        var lane = DrivenLane(settings)
        let first = lane.erase(Subject(engagelabRegistrationIDs: ["r-0"]))
        lane.run(latency: .milliseconds(10)) { _, _ in VendorResponse(status: 503) }
        #expect(lane.result(of: first)??.attempts == 3)
        #expect(lane.result(of: first)??.retriesExhausted == true)

        let probe = lane.erase(Subject(engagelabRegistrationIDs: ["r-1"]))
        let refused = lane.erase(Subject(engagelabRegistrationIDs: ["r-2"]))
        #expect(probe != nil)
        #expect(refused == nil, "ended at once")
        #expect(lane.refusals.last?.error == "vendor unavailable (HTTP 503); not called")
        lane.run(latency: .milliseconds(10)) { _, _ in
            VendorResponse(status: 200, body: Array(#"{"success":true}"#.utf8))
        }
        #expect(lane.result(of: probe)??.status == .accepted)
        #expect(lane.observations.contains(.vendorAnsweringAgain))
        let after = [
            lane.erase(Subject(engagelabRegistrationIDs: ["r-3"])),
            lane.erase(Subject(engagelabRegistrationIDs: ["r-4"])),
        ]
        #expect(after.allSatisfy { $0 != nil }, "the lane is open to all again")
    }

    /// A wake-up is asked for once, however often the lane looks before it comes.
    @Test func aWakeUpIsAskedForOnceUntilItComes() {
        let settings = VendorSettings.testing(.engagelab, account: Self.engagelab, requests: 1, windowSeconds: 1)
        var lane = DrivenLane(settings)
        _ = (0..<2).map { lane.erase(Subject(engagelabRegistrationIDs: ["r-\($0)"])) }
        lane.dispatch()
        lane.dispatch()
        #expect(lane.pendingWakes.count == 1)
    }
}

extension LaneStateMachineTests {
    static let intercom = try! exampleVendor("intercom.yaml").1

    static func json(_ status: Int, _ body: String) -> VendorResponse {
        VendorResponse(status: status, body: Array(body.utf8))
    }

    /// An identifier looked up, then each match deleted by a call of its own, each call through the rate limiter:
    /// the request ends only once every match's delete has, and fails if any of them does.
    @Test func eachMatchOfALookUpIsDeletedAndTheRequestWaitsForAllOfThem() throws {
        var lane = DrivenLane(Self.intercom)
        let request = lane.erase(Subject(email: "a@b.co"))
        #expect(lane.started.map(\.call.request.method) == [.POST])
        lane.advance(to: .milliseconds(5))
        lane.answerAll(with: Self.json(200, #"{"type":"list","data":[{"id":"c1"},{"id":"c2"}]}"#))
        lane.advance(to: .seconds(1))
        let deletes = lane.started.dropFirst().map(\.call.request.pathAndQuery)
        #expect(deletes == ["/contacts/c1", "/contacts/c2"])
        // 166 calls per 10 s: the look-up and the two deletes are spaced like any calls.
        let times = lane.started.map(\.at)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0.duration(to: $1) >= .milliseconds(60) })
        lane.answer(lane.inFlight[0].number, with: Self.json(200, #"{"id":"c1","object":"contact","deleted":true}"#))
        #expect(lane.result(of: request) == nil, "one match is still to be deleted")
        lane.answer(lane.inFlight[0].number, with: Self.json(401, #"{"type":"error.list"}"#))
        #expect(lane.result(of: request)??.status == .failed)
    }

    /// Status checks of a vendor that batches 5,000 identifiers per call still go one per call, each spending the
    /// quota an erasure spends; a failing status endpoint is retried through the limiter, and the vendor's state is
    /// what the request ends with.
    @Test func statusChecksGoOnePerCallThroughTheQuota() throws {
        let (_, settings) = try exampleVendor("segment.yaml")
        var lane = DrivenLane(settings)
        let erasure = lane.erase(Subject(externalID: "u-1"))
        let checks = ["j1", "j2", "j3"].map { lane.checkJob($0) }
        lane.run(latency: .milliseconds(10)) { call, answered in
            let path = call.request.pathAndQuery
            if path == "/regulations" { return Self.json(200, #"{"data":{"regulateId":"j9"}}"#) }
            if path == "/regulations/j2" && answered < 3 { return Self.json(503, "") }
            let state = path == "/regulations/j3" ? "RUNNING" : "FINISHED"
            return Self.json(200, #"{"data":{"regulation":{"overallStatus":"\#(state)"}}}"#)
        }
        let paths = lane.started.map(\.call.request.pathAndQuery)
        #expect(lane.started.allSatisfy { $0.call.items.count == 1 })
        #expect(Set(paths) == ["/regulations", "/regulations/j1", "/regulations/j2", "/regulations/j3"])
        #expect(paths.filter { $0 == "/regulations/j2" }.count >= 2, "the failing check was tried again")
        // One call a second, checks and erasures alike.
        let times = lane.started.map(\.at)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0.duration(to: $1) >= .seconds(1) })
        #expect(lane.result(of: erasure)??.reference == "j9")
        #expect(lane.result(of: checks[0])??.jobState == .done)
        #expect(lane.result(of: checks[1])??.jobState == .done)
        #expect(lane.result(of: checks[2])??.jobState == .running)
    }

    /// What a look-up's answer may hold, read strictly: a list of matches with usable ids, or the identifier fails;
    /// a flood of matches is counted, not deleted.
    @Test func aLookUpsAnswerIsReadStrictly() throws {
        let adapter = Self.intercom.makeAdapter()
        let item = try #require(adapter.items(for: .testing(Subject(email: "a@b.co"))).first)
        let read = { (status: Int, body: String) in adapter.lookedUp(Self.json(status, body), for: item) }
        guard case .matches(let found)? = read(200, #"{"data":[{"id":"c1"},{"id":"c1"},{"id":7}]}"#) else {
            Issue.record("matches not read")
            return
        }
        #expect(found.map(\.carried) == [["c1"], ["7"]], "duplicates once, numbers as text")
        #expect(
            found.allSatisfy { $0.values.contains("a@b.co") },
            "the identifier is scrubbed from the deletes' answers"
        )
        if case .matches(let none)? = read(404, #"{"type":"error.list","errors":[]}"#) {
            #expect(none.isEmpty, "the vendor's own 404 is no such user")
        } else {
            Issue.record("the vendor's 404 is not read as no match")
        }
        for (status, body) in [
            (200, #"{"data":"c1"}"#), (200, #"{"data":[{"name":"c1"}]}"#), (200, #"{"data":[{"id":"c\n1"}]}"#),
            (200, #"{"data":[{"id":""}]}"#), (200, "<html>"),
        ] {
            guard case .answered(.rejected)? = read(status, body) else {
                Issue.record("\(body) was not refused")
                continue
            }
        }
        guard case .answered(.retriable)? = read(503, "") else {
            Issue.record("a 503 look-up is not retried")
            return
        }
        let flood = "{\"data\":[" + (0..<100_000).map { "{\"id\":\"c\($0)\"}" }.joined(separator: ",") + "]}"
        guard case .tooMany(let count, let limit)? = read(200, flood) else {
            Issue.record("a flood of matches was not refused")
            return
        }
        #expect(count == 100_000 && limit == 5)
        let deletion = try #require(found.first)
        #expect(adapter.lookedUp(Self.json(200, #"{"data":[]}"#), for: deletion) == nil, "a delete is no look-up")
    }
}

/// An instant on a clock that only the test moves.
struct TestInstant: InstantProtocol, ExpressibleByIntegerLiteral {
    var offset: Duration

    init(offset: Duration) { self.offset = offset }
    init(integerLiteral seconds: Int) { self.offset = .seconds(seconds) }

    static let zero = TestInstant(offset: .zero)
    static func seconds(_ seconds: Int) -> TestInstant { TestInstant(offset: .seconds(seconds)) }
    static func milliseconds(_ milliseconds: Int) -> TestInstant { TestInstant(offset: .milliseconds(milliseconds)) }

    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
    static func + (lhs: TestInstant, rhs: Duration) -> TestInstant { lhs.advanced(by: rhs) }
}

/// A lane's state machine driven by a test, which picks every instant, answers every call and sees every action.
struct DrivenLane {
    typealias Machine = VendorLane.StateMachine<TestInstant>

    private(set) var machine: Machine
    private let adapter: any VendorAdapter
    private let wallClockStart = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)
    private(set) var now = TestInstant.zero
    /// Calls started and not answered yet, each with its place in ``started``.
    private(set) var inFlight: [(number: Int, call: Machine.Call, sentAt: TestInstant)] = []
    private(set) var started: [(at: TestInstant, call: Machine.Call)] = []
    private(set) var pendingWakes: [TestInstant] = []
    private(set) var observations: [Machine.Observation] = []
    /// Results of requests that ended at once, without a call.
    private(set) var refusals: [VendorResult] = []
    private var ended: [LaneRequestID: VendorResult?] = [:]
    private var nextRequest = 0

    init(_ settings: VendorSettings) {
        adapter = settings.makeAdapter()
        machine = Machine(adapter: adapter, settings: settings, wallClock: wallClockStart)
    }

    func wallClock(at instant: TestInstant) -> Timestamp {
        wallClockStart.adding(milliseconds: instant.offset.milliseconds)
    }

    private var moment: Machine.Now { Machine.Now(instant: now, wallClock: wallClock(at: now)) }

    /// Enqueues a request for `subject` and lets the lane start what it may.
    /// - Returns: the request, or nil when it ended at once (see ``refusals``).
    mutating func erase(_ subject: Subject) -> LaneRequestID? {
        let request = ErasureRequest.testing(subject, id: "r-\(nextRequest)")
        nextRequest += 1
        switch machine.enqueue(adapter.items(for: request), now: moment) {
        case .ended(let result):
            refusals.append(result)
            return nil
        case .queued(let id):
            dispatch()
            return id
        }
    }

    /// Enqueues a status check of the job `id` and lets the lane start what it may.
    mutating func checkJob(_ id: String) -> LaneRequestID? {
        guard let item = adapter.jobStatusItem(for: id),
            case .queued(let request) = machine.enqueue([item], now: moment)
        else { return nil }
        dispatch()
        return request
    }

    /// The request's result once it ended: `.some(nil)` when it ended without one.
    func result(of request: LaneRequestID?) -> VendorResult?? {
        request.flatMap { ended[$0] }
    }

    mutating func dispatch() {
        apply(machine.dispatch(now: moment))
    }

    mutating func withdraw(_ requests: Set<LaneRequestID>) {
        apply(machine.withdraw(requests))
        dispatch()
    }

    /// Moves the clock to `instant`, delivering each wake-up due by then at its own instant.
    mutating func advance(to instant: TestInstant) {
        while let wake = pendingWakes.min(), wake <= instant {
            now = max(now, wake)
            pendingWakes.removeAll { $0 == wake }
            machine.timerFired(at: wake)
            dispatch()
        }
        now = max(now, instant)
        dispatch()
    }

    /// Answers the call that started `number`th.
    mutating func answer(_ number: Int, with response: VendorResponse) {
        guard let index = inFlight.firstIndex(where: { $0.number == number }) else { return }
        let (_, call, sentAt) = inFlight.remove(at: index)
        apply(machine.callFinished(call, sentAt: sentAt, answer: .success(response), now: moment))
        dispatch()
    }

    /// Answers every call in flight now; calls these answers start stay in flight.
    mutating func answerAll(with response: VendorResponse) {
        for (number, _, _) in inFlight { answer(number, with: response) }
    }

    /// Answers each call `latency` after it started, and wakes the lane when it asked, until nothing is left to do.
    /// - Parameters:
    ///   - respond: the answer to a call, given the call and how many calls were answered before it.
    ///   - observing: called after each step.
    mutating func run(
        latency: Duration,
        respond: (Machine.Call, Int) -> VendorResponse,
        observing: (DrivenLane) -> Void = { _ in }
    ) {
        var answered = 0
        for _ in 0..<100_000 {
            let nextAnswer = inFlight.map { $0.sentAt + latency }.min()
            guard let next = [nextAnswer, pendingWakes.min()].compactMap({ $0 }).min() else { return }
            advance(to: next)
            if let (number, call, _) = inFlight.first(where: { $0.sentAt + latency <= now }) {
                answer(number, with: respond(call, answered))
                answered += 1
            }
            observing(self)
        }
        Issue.record("the lane never settled")
    }

    private mutating func apply(_ actions: [Machine.Action]) {
        for action in actions {
            switch action {
            case .startCall(let call):
                inFlight.append((started.count, call, now))
                started.append((now, call))
            case .finish(let request, let result):
                ended[request] = .some(result)
            case .wake(let instant):
                pendingWakes.append(instant)
            case .record(let observation):
                observations.append(observation)
            }
        }
    }
}

import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Logging
import NIOHTTP1
import Testing

/// Vendor answers are input from outside: none may trap, stall a lane, or put unbounded or identifying text into an
/// outcome or a retry header.
/// A request with `subject` and no deadline of its own.
private func erasureRequest(_ subject: Subject, id: String = "r") -> ErasureRequest {
    ErasureRequest(requestID: id, regulation: .gdpr, submittedAt: .now(), subject: subject)
}

@Suite("Hostile vendor answers", .timeLimit(.minutes(1)))
struct HostileVendorAnswerTests {
    let logger = Logger(label: "test")
    static let braze = VendorSettings.Account.braze(apiKey: Secret("k"), emailPrioritization: ["identified"])
    static let engagelab = VendorSettings.Account.engagelab(appKey: "a", masterSecret: Secret("m"))

    static let absurdWaits = [
        "1e21", "1e30", "-5", "-1e30", "nan", "inf", "-inf", "0x1p1023", "99999999999999999999999999999999",
        "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "soon", "", " ",
        String(repeating: "9", count: 5000),
        // Found by the vendor-answer fuzzer: Foundation's DateFormatter trapped on it.
        "S\u{05BA}", "Fri, 31 Dec 9999 23:59:59 G\u{0301}MT",
    ]

    @Test(arguments: absurdWaits)
    func everyRetryAfterIsReadAsAWaitOfAtMostAWeekOrIgnored(_ value: String) {
        let response = VendorResponse(status: 429, headers: HTTPHeaders([("Retry-After", value)]))
        let adapters: [any VendorAdapter] = [
            VendorSettings.testing(.braze, account: Self.braze).makeAdapter(),
            VendorSettings.testing(.engagelab, account: Self.engagelab).makeAdapter(),
        ]
        for adapter in adapters {
            guard case .retriable(_, let wait) = adapter.classify(response) else {
                Issue.record("a 429 is retriable")
                continue
            }
            if let wait { #expect((0...604_800).contains(wait), "\(value) read as \(wait)") }
        }
    }

    @Test(arguments: absurdWaits)
    func everyBrazeResetTimeIsReadAsAWaitOfAtMostAWeekOrIgnored(_ value: String) {
        let response = VendorResponse(status: 429, headers: HTTPHeaders([("X-RateLimit-Reset", value)]))
        guard
            case .retriable(_, let wait) = VendorSettings.testing(.braze, account: Self.braze).makeAdapter()
                .classify(response)
        else {
            Issue.record("a 429 is retriable")
            return
        }
        if let wait { #expect((0...604_800).contains(wait), "\(value) read as \(wait)") }
    }

    @Test func aWaitBeyondTheRetryBudgetParksTheWorkWithoutHoldingItOrCallingAgain() async throws {
        // One answer asks for 1e21 seconds: before, converting it to a Duration trapped and killed the process.
        let transport = RecordingTransport { _, _ in
            VendorResponse(status: 429, headers: HTTPHeaders([("Retry-After", "1e21")]))
        }
        var settings = VendorSettings.testing(.engagelab, account: Self.engagelab)
        settings.retry.maxElapsedSeconds = 60
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let subject = Subject(engagelabRegistrationIDs: ["reg-1"])
        let request = erasureRequest(subject)
        let before = Timestamp.now()
        let (first, second) = try await withRunningLanes([lane]) {
            let first = await lane.erase(adapter.items(for: request))
            let second = await lane.erase(adapter.items(for: request))
            return (first, second)
        }
        #expect(transport.recordedCalls.count == 1, "no call may leave before the vendor allows it")
        for result in [first, second] {
            let result = try #require(result)
            #expect(result.status == .failed)
            #expect(result.retriesExhausted, "a vendor that asks to wait is retried later, by parking")
            let notBefore = try #require(result.notBefore)
            // The wait is clamped to a week: far beyond the budget, and representable.
            #expect(notBefore >= before.adding(seconds: 604_800 - 5))
            #expect(notBefore <= Timestamp.now().adding(seconds: 604_800))
        }
    }

    @Test func aWaitWithinTheRetryBudgetIsWaitedOutInTheLane() async throws {
        let transport = RecordingTransport { _, index in
            index == 0
                ? VendorResponse(status: 429, headers: HTTPHeaders([("Retry-After", "1")]))
                : VendorResponse(status: 200, body: Array(#"{"success":true}"#.utf8))
        }
        let settings = VendorSettings.testing(.engagelab, account: Self.engagelab)
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let request = erasureRequest(Subject(engagelabRegistrationIDs: ["reg-1"]))
        let started = ContinuousClock.now
        let result = try await withRunningLanes([lane]) { await lane.erase(adapter.items(for: request)) }
        #expect(result?.status == .accepted)
        #expect(result?.attempts == 2)
        #expect(ContinuousClock.now - started >= .seconds(1), "the second call waited for the vendor's time")
    }

    @Test func scrubbingIdentifiersFoundInsideThePlaceholderTakesOnePassAndBoundedOutput() {
        // Aliases are free text, so "i", "d" or "[identifier]" itself are valid identifiers. Replacing form after
        // form over text already replaced doubled the text with each such form: with every piece of the placeholder
        // as an identifier, a short echo grew past any memory.
        let placeholder = Array(VendorText.placeholder)
        var pieces = Set<String>()
        for start in placeholder.indices {
            for end in start..<placeholder.count { pieces.insert(String(placeholder[start...end])) }
        }
        let items = pieces.sorted().map { VendorItem(kind: "user_aliases", payload: [], values: [$0]) }
        let echo = String(repeating: "identifier [identifier] ", count: 50)
        let scrubbed = VendorText.scrub(echo, of: items)
        #expect(scrubbed.count <= VendorText.maxLength + 1)
        #expect(scrubbed.hasPrefix("\(VendorText.placeholder) \(VendorText.placeholder) "))
        let long = VendorText.scrub(String(repeating: "i", count: 10_000_000), of: items)
        #expect(long.count == VendorText.maxLength + 1, "the text is cut before it is read")
    }

    @Test func scrubbingReplacesEveryFormOfAnIdentifierIgnoringCase() {
        let email = "Jo.Doe+x@Example.com"
        let quote = #"say "hi""#
        let items = [
            VendorItem(kind: "email_addresses", payload: [], values: [email]),
            VendorItem(kind: "user_aliases", payload: [], values: [quote]),
        ]
        let text =
            "unknown jo.doe+x@example.com; path /v4/devices/Jo.Doe%2Bx%40Example.com; lower %2bx; body \"say \\\"hi\\\"\""
        let scrubbed = VendorText.scrub(text, of: items)
        #expect(!scrubbed.lowercased().contains("jo.doe"))
        #expect(!scrubbed.contains("hi"))
        #expect(scrubbed.contains("unknown [identifier];"))
    }

    @Test func identifiersThatStartWithACombiningMarkAreScrubbed() {
        // Found by the vendor-answer fuzzer: the JSON-escaped form was cut by Characters, and a leading combining
        // mark made it empty, which crashed the scrubber.
        let values = ["\u{05BA}", "\u{0301}x", "\u{200D}"]
        let items = values.map { VendorItem(kind: "user_aliases", payload: [], values: [$0]) }
        let scrubbed = VendorText.scrub("echo: \u{05BA} \u{0301}x", of: items)
        #expect(!scrubbed.unicodeScalars.contains("\u{05BA}"))
        #expect(!scrubbed.unicodeScalars.contains("\u{0301}"))
    }

    @Test func aReferenceIsKeptOnlyWhenShortPrintableAndFreeOfIdentifiers() {
        let items = [VendorItem(kind: "identities", payload: [], values: ["u-secret"])]
        let cases: [(String, String?)] = [
            ("req-123", "req-123"),
            (String(repeating: "a", count: 128), String(repeating: "a", count: 128)),
            (String(repeating: "a", count: 129), nil),
            (String(repeating: "a", count: 100_000), nil),
            ("req\n1", nil),
            ("réf", nil),
            ("", nil),
            ("for u-secret", "for [identifier]"),
        ]
        for (reference, expected) in cases {
            let result = CallResult.accepted(reference: reference, deleted: nil, note: nil).sanitized(for: items)
            guard case .accepted(let kept, _, let note) = result else {
                Issue.record("stays accepted")
                continue
            }
            #expect(kept == expected, "\(reference.prefix(20))")
            #expect((note != nil) == (expected == nil), "a dropped reference leaves a note")
        }
    }

    @Test func absurdDeletedCountsAreNotBelievedAndNeverOverflow() async throws {
        let transport = RecordingTransport(status: 201, body: #"{"deleted":9223372036854775807,"message":"success"}"#)
        var settings = VendorSettings.testing(.braze, account: Self.braze)
        settings.batching.maxSize = 1
        let adapter = settings.makeAdapter()
        let lane = VendorLane(adapter: adapter, settings: settings, transport: transport, logger: logger)
        let request = erasureRequest(Subject(externalID: "u-1", brazeID: "b-1"))
        let result = try await withRunningLanes([lane]) { await lane.erase(adapter.items(for: request)) }
        #expect(result?.status == .accepted)
        #expect(transport.recordedCalls.count == 2)
        #expect(result?.deleted == nil)
    }

    @Test func engageLabNotFoundIsDoneButAPageFromAnotherServerIsNot() {
        let adapter = VendorSettings.testing(.engagelab, account: Self.engagelab).makeAdapter()
        let notFound = VendorResponse(status: 404, body: Array(#"{"error":{"code":1011,"message":"no"}}"#.utf8))
        #expect(adapter.classify(notFound) == .accepted(reference: nil, deleted: nil, note: "not found"))
        #expect(
            adapter.classify(VendorResponse(status: 404)) == .accepted(reference: nil, deleted: nil, note: "not found")
        )
        guard case .rejected = adapter.classify(VendorResponse(status: 404, body: Array("<html>404</html>".utf8)))
        else {
            Issue.record("an HTML 404 is a wrong base URL, not a missing device")
            return
        }
    }

    @Test func bodiesThatAreNotJSONOrNestTooDeepAreClassifiedWithoutCrashing() {
        let bodies = [
            String(repeating: "[", count: 1 << 20), String(repeating: "{\"a\":", count: 200_000), "\u{0}\u{1}",
            #"{"deleted": 1e400, "message": "success"}"#, #"{"errors": "not a list", "message": 7}"#,
        ]
        let adapters: [any VendorAdapter] = [
            VendorSettings.testing(.braze, account: Self.braze).makeAdapter(),
            VendorSettings.testing(.engagelab, account: Self.engagelab).makeAdapter(),
            VendorSettings.testing(.moengage, account: .moengage(workspaceID: "W", apiKey: Secret("k"))).makeAdapter(),
            VendorSettings.testing(
                .moengageGDPR,
                account: .moengageGDPR(appID: "A", apiKey: Secret("k"), maxPayloadBytes: 100_000)
            )
            .makeAdapter(),
        ]
        for adapter in adapters {
            for body in bodies {
                for status in [200, 201, 400, 404, 413] {
                    let result = adapter.classify(VendorResponse(status: status, body: Array(body.utf8)))
                    if case .accepted(_, let deleted, _) = result {
                        #expect(deleted.map { $0 >= 0 } ?? true)
                    }
                }
            }
        }
    }
}

/// A replica whose partitions were revoked must not go on spending the account's quota on their requests.
@Suite("Vendor lanes when requests are withdrawn", .timeLimit(.minutes(1)))
struct VendorLaneWithdrawalTests {
    let logger = Logger(label: "test")

    @Test func aCancelledRequestWaitingForQuotaLeavesTheLaneAndIsNeverSent() async throws {
        let transport = RecordingTransport(status: 200, body: #"{"success":true}"#)
        let settings = VendorSettings.testing(
            .engagelab,
            account: .engagelab(appKey: "a", masterSecret: Secret("m"))
        )
        let adapter = settings.makeAdapter()
        // The replica's share dropped to zero: nothing may be sent until it is given quota again.
        let share = QuotaShare(initial: 0)
        let lane = VendorLane(
            adapter: adapter,
            settings: settings,
            transport: transport,
            logger: logger,
            quotaShare: share
        )
        func request(_ id: String) -> ErasureRequest {
            erasureRequest(Subject(engagelabRegistrationIDs: ["reg-\(id)"]), id: id)
        }
        let withdrawn = try await withRunningLanes([lane]) {
            await withTaskGroup(of: VendorResult?.self) { group in
                group.addTask { await lane.erase(adapter.items(for: request("revoked"))) }
                // Cancelled while it waits for quota, as RevocableWork does on a revocation.
                group.cancelAll()
                let withdrawn = await group.next() ?? nil
                share.set(1)
                await lane.quotaShareChanged()
                _ = await lane.erase(adapter.items(for: request("kept")))
                return withdrawn
            }
        }
        #expect(withdrawn == nil, "a withdrawn request ends without a result, so no outcome is published")
        #expect(transport.recordedCalls.map(\.pathAndQuery) == ["/v4/devices/reg-kept"])
    }
}

import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Logging
import NIOHTTP1
import Testing

/// Vendor answers are input from outside: none may trap, stall a lane, or put unbounded or identifying text into an
/// outcome or a retry header.
@Suite("Hostile vendor answers", .timeLimit(.minutes(1)))
struct HostileVendorAnswerTests {
    let logger = TestLogs.quietLogger(label: "test")
    static let braze = BrazeAccount(apiKey: Secret("k"), emailPrioritization: ["identified"])
    static let engagelab = EngageLabAccount(appKey: "a", masterSecret: Secret("m"))

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

    @Test func engageLabNotFoundIsDoneButAPageFromAnotherServerIsNot() {
        let adapter = VendorSettings.testing(.engagelab, account: Self.engagelab).makeAdapter()
        let notFound = VendorResponse(status: 404, body: Array(#"{"error":{"code":1011,"message":"no"}}"#.utf8))
        #expect(adapter.classify(notFound) == .accepted(reference: nil, deleted: nil, note: "not found"))
        // Only the API's own error shape says "no such device": an empty, an HTML or another JSON 404 is a gateway,
        // a wrong base URL or a wrong region.
        for body in ["", "<html>404</html>", #"{"message":"no route"}"#] {
            guard case .rejected = adapter.classify(VendorResponse(status: 404, body: Array(body.utf8))) else {
                Issue.record("a 404 of \(body) is no proof that the device is gone")
                continue
            }
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

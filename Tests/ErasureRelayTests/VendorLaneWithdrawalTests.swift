import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Logging
import NIOHTTP1
import Testing

/// Vendor answers are input from outside: none may trap, stall a lane, or put unbounded or identifying text into an
/// outcome or a retry header.

/// A replica whose partitions were revoked must not go on spending the account's quota on their requests.
@Suite("Vendor lanes when requests are withdrawn", .timeLimit(.minutes(1)))
struct VendorLaneWithdrawalTests {
    let logger = TestLogs.quietLogger(label: "test")

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
            ErasureRequest.testing(Subject(engagelabRegistrationIDs: ["reg-\(id)"]), id: id)
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

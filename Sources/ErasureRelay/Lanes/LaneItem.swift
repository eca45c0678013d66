/// One identifier waiting in a lane, with its retry state.
struct LaneItem<Instant: InstantProtocol>: Sendable {
    var request: LaneRequestID
    var item: VendorItem
    var attempts = 0
    var firstAttempt: Instant?
    var enqueuedAt: Instant
    var notBefore: Instant
    var lastStatus: Int?
}

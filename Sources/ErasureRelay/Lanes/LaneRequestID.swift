/// Identifies one request's work inside one vendor lane. It is the lane's own number: the offset ledger's
/// ``OffsetLedger/Ticket`` names a message, this names what the lane owes one ``VendorLane/erase(_:)-([VendorItem])`` call.
struct LaneRequestID: Hashable, Sendable {
    let value: Int
}

/// Whether a lane treats its vendor as down, and which request may probe it meanwhile.
///
/// It opens when an identifier runs out of retries on errors that say the vendor is down. While it is open, new
/// requests are refused without a call, to be parked, except one at a time that probes the vendor. The first real
/// answer (an acceptance or a permanent refusal) closes it. A pure value, tested on its own.
struct OutageBreaker: Sendable {
    /// What a new request may do.
    enum Admission: Equatable, Sendable {
        /// Call the vendor as usual.
        case call
        /// Call the vendor as the one request testing whether it is back.
        case probe
        /// Do not call: the vendor is down for `reason`, and another request is probing it.
        case refuse(reason: String)
    }

    /// Why the vendor is treated as down; nil while it is not.
    private(set) var outageReason: String?
    private var probe: LaneRequestID?

    var isOpen: Bool { outageReason != nil }

    mutating func admit(_ request: LaneRequestID) -> Admission {
        guard let outageReason else { return .call }
        guard probe == nil else { return .refuse(reason: outageReason) }
        probe = request
        return .probe
    }

    /// An identifier ran out of retries on errors that say the vendor is down.
    /// - Returns: true when this opens the breaker.
    mutating func retriesExhausted(reason: String) -> Bool {
        guard outageReason == nil else { return false }
        outageReason = reason
        return true
    }

    /// The vendor gave a real answer.
    /// - Returns: true when this closes the breaker.
    mutating func vendorAnswered() -> Bool {
        guard outageReason != nil else { return false }
        outageReason = nil
        probe = nil
        return true
    }

    /// The request ended or was withdrawn; if it was the probe, the next request probes instead.
    mutating func requestEnded(_ request: LaneRequestID) {
        if probe == request { probe = nil }
    }
}

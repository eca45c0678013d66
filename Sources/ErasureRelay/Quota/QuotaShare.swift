import Synchronization

/// This replica's share of every vendor quota: its share of the request topic's partitions.
///
/// Vendor quotas belong to the account, not to a replica, so a group of replicas splits each quota by partitions.
/// The share is lowered synchronously inside the revoke callback, before the partitions can be assigned to another
/// member, and raised after an assignment; lanes read it before every call.
///
/// A replica frozen longer than the group's session timeout (a stopped process, a stalled host) has lost its
/// partitions, and their share, to another member before it runs again; but librdkafka, frozen too, reports the loss
/// only once it has heard from the coordinator. With a lease set (``holdWhileStale(after:grace:)``) the share reads as
/// zero from the moment the consumer loop has not confirmed its membership for that long, and for a grace period
/// after it runs again, long enough for the loss to be reported: the frozen replica never spends what the new owner
/// holds.
public final class QuotaShare: Sendable {
    public typealias Instant = ContinuousClock.Instant

    private struct Lease {
        var renewedAt: Instant = .now
        var staleAfter: Duration?
        var grace: Duration = .zero
        var heldUntil: Instant?
    }

    private let state = Mutex<(share: Double, version: Int)>((1, 0))
    private let lease = Mutex(Lease())

    /// - Parameter initial: the share before the first assignment. Zero makes a replica wait for its partitions.
    public init(initial: Double = 1) {
        state.withLock { $0.share = initial }
    }

    public var value: Double { state.withLock { $0.share } }

    /// The share with a number that changes whenever the share does, so readers can skip unchanged values. Zero, with
    /// a number of its own, while the lease is stale or in its grace period.
    func versioned(at now: Instant = .now) -> (share: Double, version: Int) {
        let (share, version) = state.withLock { $0 }
        return isHeld(at: now) ? (0, -1 - version) : (share, version)
    }

    /// Reads the share as zero once `staleAfter` (the session timeout) passes without ``renew(at:)``, and for `grace`
    /// after the renewal that ends it.
    public func holdWhileStale(after staleAfter: Duration, grace: Duration) {
        lease.withLock {
            $0.staleAfter = staleAfter
            $0.grace = grace
        }
    }

    /// The consumer loop confirmed its membership: it polled and handled what the poll returned.
    /// - Returns: true when the lease had gone stale, so that the share is held for the grace period from now.
    @discardableResult
    public func renew(at now: Instant = .now) -> Bool {
        lease.withLock { lease in
            defer { lease.renewedAt = now }
            guard let staleAfter = lease.staleAfter, now - lease.renewedAt > staleAfter else { return false }
            lease.heldUntil = now + lease.grace
            return true
        }
    }

    /// Whether the share reads as zero at `now`.
    func isHeld(at now: Instant = .now) -> Bool {
        lease.withLock { lease in
            if let heldUntil = lease.heldUntil, now < heldUntil { return true }
            guard let staleAfter = lease.staleAfter else { return false }
            return now - lease.renewedAt > staleAfter
        }
    }

    public func set(_ share: Double) {
        state.withLock { state in
            let clamped = min(1, max(0, share))
            guard clamped != state.share else { return }
            state.share = clamped
            state.version += 1
        }
    }
}

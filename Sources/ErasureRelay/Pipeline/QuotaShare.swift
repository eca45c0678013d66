import Synchronization

/// This replica's share of every vendor quota: its share of the request topic's partitions.
///
/// Vendor quotas belong to the account, not to a replica, so a group of replicas splits each quota by partitions.
/// The share is lowered synchronously inside the revoke callback, before the partitions can be assigned to another
/// member, and raised after an assignment; lanes read it before every call.
public final class QuotaShare: Sendable {
    private let state = Mutex<(share: Double, version: Int)>((1, 0))

    /// - Parameter initial: the share before the first assignment. Zero makes a replica wait for its partitions.
    public init(initial: Double = 1) {
        state.withLock { $0.share = initial }
    }

    public var value: Double { state.withLock { $0.share } }

    /// The share with a number that changes whenever the share does, so readers can skip unchanged values.
    var versioned: (share: Double, version: Int) { state.withLock { $0 } }

    public func set(_ share: Double) {
        state.withLock { state in
            let clamped = min(1, max(0, share))
            guard clamped != state.share else { return }
            state.share = clamped
            state.version += 1
        }
    }

    /// The share of `assigned` partitions out of `total`.
    public static func share(assigned: Int, total: Int) -> Double {
        total > 0 ? Double(assigned) / Double(total) : 0
    }
}

/// Keeps ``QuotaShare`` equal to this replica's share of the request topic's partitions.
public final class PartitionShareTracker: Sendable {
    public let share: QuotaShare
    private let topic: String
    private let total = Mutex<Int?>(nil)

    public init(topic: String, share: QuotaShare) {
        self.topic = topic
        self.share = share
    }

    /// For the revoke callback: lowers the share to what remains, before the partitions go elsewhere.
    public func revoking(remaining: some Sequence<(topic: String, partition: Int32)>) {
        let count = remaining.filter { $0.topic == topic }.count
        // Until the partition count is known, no share was granted above zero, so there is nothing to lower.
        guard let total = total.withLock({ $0 }) else { return }
        share.set(QuotaShare.share(assigned: count, total: total))
    }

    /// After an assignment: raises the share to the new assignment's. `partitionCount` is asked when the count is
    /// unknown or the assignment shows more partitions than known.
    public func assigned(
        _ assignment: some Sequence<(topic: String, partition: Int32)>,
        partitionCount: () async throws -> Int
    ) async rethrows {
        let partitions = assignment.filter { $0.topic == topic }
        let highest = partitions.map { Int($0.partition) }.max() ?? -1
        var known = total.withLock { $0 }
        if known == nil || highest >= known! {
            known = try await partitionCount()
            total.withLock { $0 = known }
        }
        share.set(QuotaShare.share(assigned: partitions.count, total: known!))
    }
}

import Synchronization

/// Keeps ``QuotaShare`` equal to this replica's weighted share of the partitions of the topics it consumes.
///
/// The request topic and the retry topic are assigned independently, so a replica may hold only retry partitions.
/// Weighting every topic's partitions gives such a replica a small share to finish parked work with, leaves most of
/// each quota to the replicas that hold the request topic, and keeps the shares of all replicas adding up to one,
/// since every replica weighs the same partitions alike.
public final class PartitionShareTracker: Sendable {
    public let share: QuotaShare
    private let weights: [String: Double]
    private let totals = Mutex<[String: Int]>([:])

    /// - Parameters:
    ///   - weights: each topic's weight per partition.
    ///   - share: the share this tracker keeps up to date, read by the vendor lanes.
    public init(weights: [String: Double], share: QuotaShare) {
        self.share = share
        self.weights = weights
    }

    /// For the revoke callback: lowers the share to what remains, before the partitions go elsewhere.
    public func revoking(remaining: some Sequence<(topic: String, partition: Int32)>) {
        let totals = totals.withLock { $0 }
        // Until the partition counts are known, no share was granted above zero, so there is nothing to lower.
        guard totals.count == weights.count else { return }
        share.set(weightedShare(of: remaining, totals: totals))
    }

    /// After an assignment: sets the share to the new assignment's. Every topic's partition count is asked again,
    /// since partitions added to a topic cause a rebalance that may leave this replica's own partitions unchanged.
    /// A topic whose count cannot be had while none of its partitions is assigned here (a retry topic not created
    /// yet) keeps its last known count, or counts as empty.
    public func assigned(
        _ assignment: some Sequence<(topic: String, partition: Int32)>,
        partitionCount: (String) async throws -> Int
    ) async throws {
        let assignment = Array(assignment)
        var totals = totals.withLock { $0 }
        for topic in weights.keys.sorted() {
            do {
                totals[topic] = try await partitionCount(topic)
            } catch _ where !assignment.contains(where: { $0.topic == topic }) {
                totals[topic] = totals[topic] ?? 0
            }
        }
        let counted = totals
        self.totals.withLock { $0 = counted }
        share.set(weightedShare(of: assignment, totals: counted))
    }

    private func weightedShare(
        of partitions: some Sequence<(topic: String, partition: Int32)>,
        totals: [String: Int]
    )
        -> Double
    {
        let held = partitions.reduce(0.0) { $0 + (weights[$1.topic] ?? 0) }
        let total = totals.reduce(0.0) { $0 + (weights[$1.key] ?? 0) * Double($1.value) }
        return total > 0 ? held / total : 0
    }
}

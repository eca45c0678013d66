import Kafka

/// Which jobs-topic record goes on with each follow-up, so that a follow-up is followed once even when it was
/// written twice.
///
/// A replica writes a follow-up's next record before the offset of the record it read is committed. When a crash or
/// a rebalance comes in between, the next owner reads that record again and writes its own next record beside the
/// first one: two records continue the same ``JobFollowUp/lineage``. Both lie after the committed offset, so the
/// partition's one owner reads both in the same assignment; the first read goes on, and any later one is skipped.
/// Without this, both would be followed to their end, each with its own status calls and confirmation.
///
/// A pure state machine, run on the consumer loop: what it remembers is per partition, forgotten when the partition
/// is assigned or revoked, and bounded by ``capacity``, the oldest claims going first.
struct FollowUpLineage: Sendable {
    /// The most claims remembered across partitions; a sibling read further apart than this is followed as well.
    let capacity: Int
    private var claims: [TopicPartition: [Outcome.Source: Int64]] = [:]
    private var arrivals: [(partition: TopicPartition, lineage: Outcome.Source, offset: Int64)] = []
    private var oldest = 0

    /// The claims remembered.
    var count: Int { arrivals.count - oldest }

    /// - Parameter capacity: the most claims remembered, at least one.
    init(capacity: Int) {
        precondition(capacity > 0, "a lineage remembers at least one claim")
        self.capacity = capacity
    }

    /// Claims `lineage` for the record at `offset` of `partition`.
    /// - Returns: nil when that record goes on with the follow-up: it is the first read to continue `lineage`, or it
    ///   is read again; otherwise the offset of the record that goes on instead.
    mutating func claim(_ lineage: Outcome.Source, at offset: Int64, in partition: TopicPartition) -> Int64? {
        if let claimed = claims[partition]?[lineage] { return claimed == offset ? nil : claimed }
        claims[partition, default: [:]][lineage] = offset
        arrivals.append((partition, lineage, offset))
        if count > capacity { evictOldest() }
        return nil
    }

    /// Forgets the claims of `partitions`: on assignment, a partition is read again from its committed offset.
    mutating func forget(_ partitions: some Sequence<TopicPartition>) {
        let forgotten = Set(partitions)
        guard forgotten.contains(where: { claims[$0] != nil }) else { return }
        for partition in forgotten { claims[partition] = nil }
        arrivals = arrivals[oldest...].filter { !forgotten.contains($0.partition) }
        oldest = 0
    }

    private mutating func evictOldest() {
        let arrival = arrivals[oldest]
        oldest += 1
        claims[arrival.partition]?[arrival.lineage] = nil
        if oldest * 2 >= arrivals.count {
            arrivals.removeFirst(oldest)
            oldest = 0
        }
    }
}

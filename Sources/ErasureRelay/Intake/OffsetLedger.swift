/// Per partition, which offsets are in flight and which are done, and the offset that may be committed: the one
/// after the longest prefix of done messages. Requests finish out of order; the ledger makes sure a commit never
/// passes a request that is not done.
///
/// A pure state machine: the caller applies what it returns (storing offsets, pausing) outside any lock.
public struct OffsetLedger<Partition: Hashable & Sendable>: Sendable {
    /// Identifies one tracked message. `generation` tells a message of an earlier assignment of the same partition
    /// from one of the current one.
    public struct Ticket: Hashable, Sendable {
        public let partition: Partition
        public let offset: Int64
        public let generation: Int
    }

    private struct PartitionState: Sendable {
        var generation: Int
        /// Offsets in flight, in the order they were read (ascending).
        var inFlight: [Int64] = []
        var firstInFlight = 0
        var done: Set<Int64> = []

        var pending: ArraySlice<Int64> { inFlight[firstInFlight...] }
    }

    private var partitions: [Partition: PartitionState] = [:]
    private var nextGeneration = 0
    /// Messages tracked and not yet done, over all partitions.
    public private(set) var inFlightCount = 0

    public init() {}

    /// Starts tracking newly assigned partitions, forgetting anything of an earlier assignment.
    public mutating func assign(_ assigned: some Sequence<Partition>) {
        for partition in assigned {
            inFlightCount -= partitions[partition].map { $0.pending.count - $0.done.count } ?? 0
            nextGeneration += 1
            partitions[partition] = PartitionState(generation: nextGeneration)
        }
    }

    /// Stops tracking revoked partitions. Their in-flight messages will be read again by whoever owns them next.
    /// - Returns: how many in-flight messages were dropped.
    @discardableResult
    public mutating func revoke(_ revoked: some Sequence<Partition>) -> Int {
        var dropped = 0
        for partition in revoked {
            if let state = partitions.removeValue(forKey: partition) {
                dropped += state.pending.count - state.done.count
            }
        }
        inFlightCount -= dropped
        return dropped
    }

    /// Whether `partition` is assigned.
    public func isAssigned(_ partition: Partition) -> Bool {
        partitions[partition] != nil
    }

    /// Tracks a message just read. Returns nil for a partition that is not assigned, or an offset not beyond the
    /// last one tracked (a redelivery the ledger already holds): such a message must not be processed.
    public mutating func track(partition: Partition, offset: Int64) -> Ticket? {
        guard var state = partitions[partition] else { return nil }
        if let last = state.inFlight.last, offset <= last { return nil }
        state.inFlight.append(offset)
        partitions[partition] = state
        inFlightCount += 1
        return Ticket(partition: partition, offset: offset, generation: state.generation)
    }

    /// Marks a message done.
    /// - Returns: the offset to store for its partition (the offset after the done prefix) if that moved, otherwise
    ///   nil; also nil for a ticket of a revoked or earlier assignment.
    public mutating func complete(_ ticket: Ticket) -> Int64? {
        guard var state = partitions[ticket.partition], state.generation == ticket.generation,
            state.pending.contains(ticket.offset), !state.done.contains(ticket.offset)
        else { return nil }
        inFlightCount -= 1
        state.done.insert(ticket.offset)
        var committable: Int64?
        while state.firstInFlight < state.inFlight.count, state.done.remove(state.inFlight[state.firstInFlight]) != nil
        {
            committable = state.inFlight[state.firstInFlight] + 1
            state.firstInFlight += 1
        }
        // Reclaim the consumed prefix now and then, so the array does not grow with the partition's history.
        if state.firstInFlight > 1024, state.firstInFlight * 2 > state.inFlight.count {
            state.inFlight.removeFirst(state.firstInFlight)
            state.firstInFlight = 0
        }
        partitions[ticket.partition] = state
        return committable
    }

    /// The oldest offset still in flight per partition.
    public var oldestInFlight: [Partition: Int64] {
        partitions.compactMapValues { state in state.pending.first(where: { !state.done.contains($0) }) }
    }
}

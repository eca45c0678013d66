import Kafka

/// What the consumer loop knows between reading a message and storing its offset: which messages are in flight,
/// which parked ones wait for their time, whether fetching is paused, and what may be committed.
///
/// A pure state machine, after async-http-client's connection state machines: events go in (a message read, a
/// request finished, partitions assigned or revoked, a tick of the clock, a drain), and ``Intake/Action``s come out, for
/// ``ErasureRelayService`` to carry out against librdkafka outside any lock. It never locks, sleeps, reads a clock or
/// calls C, so every decision is tested on its own with instants the test chooses (`IntakeTests`).
///
/// Pausing and resuming are only ever decided by ``tick(now:)`` and ``drain()``, which the consumer loop alone calls,
/// so librdkafka sees them in the order they were decided. Finishing a request, which happens on any task, only
/// stores offsets.
public struct Intake: Sendable {
    public typealias Ticket = OffsetLedger<TopicPartition>.Ticket
    public typealias Instant = ContinuousClock.Instant

    /// The bounds the intake keeps.
    public struct Limits: Sendable, Hashable {
        /// Requests started and not finished at which reading stops (`pipeline.max_in_flight`).
        public var maxInFlight: Int
        /// Paused partitions resume below this many (`pipeline.resume_below`).
        public var resumeBelow: Int
        /// How long a full pipeline waits for room before pausing (`pipeline.pause_after_ms`).
        public var pauseAfter: Duration
        /// Parked messages held in memory until their time (`pipeline.max_held`): apart from ``maxInFlight``, so
        /// that parked work never takes the room of new requests.
        public var maxHeld: Int
        /// The longest a parked message is held (`parking.max_delay_seconds`), whatever its `not-before` says.
        public var longestHold: Duration

        public init(maxInFlight: Int, resumeBelow: Int, pauseAfter: Duration, maxHeld: Int, longestHold: Duration) {
            self.maxInFlight = maxInFlight
            self.resumeBelow = resumeBelow
            self.pauseAfter = pauseAfter
            self.maxHeld = maxHeld
            self.longestHold = longestHold
        }

        /// The limits the configuration sets.
        public init(pipeline: RelayConfiguration.Pipeline, parking: RelayConfiguration.Parking) {
            self.init(
                maxInFlight: pipeline.maxInFlight,
                resumeBelow: pipeline.resumeBelow,
                pauseAfter: .milliseconds(pipeline.pauseAfterMilliseconds),
                maxHeld: pipeline.maxHeld,
                longestHold: .seconds(parking.maxDelaySeconds)
            )
        }
    }

    /// What the service must do.
    public enum Action: Sendable {
        /// Process the message now.
        case start(ConsumedRecord, Ticket)
        /// Change what the consumer fetches.
        case fetch(FetchAction)
    }

    /// A change to what the consumer fetches, carried out by the service's fetch control.
    public enum FetchAction: Sendable, Equatable {
        /// Stop fetching from every partition.
        case pauseAll
        /// Fetch again from every partition that is not held.
        case resumeAll
        /// Stop fetching from one retry or jobs partition: the messages behind a held one stay in Kafka.
        case hold(TopicPartition)
        /// Fetch again from a retry or jobs partition.
        case release(TopicPartition)
    }

    private struct Held: Sendable {
        var record: ConsumedRecord
        var until: Instant
    }

    private let limits: Limits
    private let heldTopics: Set<String>
    private var ledger = OffsetLedger<TopicPartition>()
    private var assigned: Set<TopicPartition> = []
    private var readAt: [Ticket: Instant] = [:]
    private var deadlines: [Ticket: Timestamp] = [:]
    private var held: [Ticket: Held] = [:]
    private var heldPartitions: Set<TopicPartition> = []
    private var fullSince: Instant?
    /// Whether fetching is paused for the whole pipeline; the one record of it (`KafkaConsumer` mirrors it for
    /// librdkafka, which cannot be asked).
    public private(set) var isPaused = false
    /// Whether the service is shutting down: nothing new starts and nothing resumes.
    public private(set) var isDraining = false

    /// - Parameters:
    ///   - limits: the in-flight, pause and hold bounds.
    ///   - heldTopics: the topics whose messages may be held until their time: the retry topic, and the jobs topic
    ///     when vendors follow jobs.
    public init(limits: Limits, heldTopics: Set<String>) {
        self.limits = limits
        self.heldTopics = heldTopics
    }

    /// Requests started and not finished: what ``Limits/maxInFlight`` bounds. Held messages are not counted.
    public var started: Int { ledger.inFlightCount - held.count }
    /// Parked messages waiting in memory for their time.
    public var heldCount: Int { held.count }
    /// How many messages the loop may read now.
    public var room: Int { isDraining ? 0 : max(0, limits.maxInFlight - started) }
    /// Whether the in-flight limit is reached: the loop stops reading until ``hasRoom`` or ``pausesAt``.
    public var isFull: Bool { started >= limits.maxInFlight }
    /// Whether enough requests finished to read again, or to resume (below ``Limits/resumeBelow``).
    public var hasRoom: Bool { started < limits.resumeBelow }

    /// Once the pipeline filled and has not drained below ``Limits/resumeBelow`` since: the instant it pauses. Until
    /// then the loop only stops reading, so that a brief saturation costs no pause, which librdkafka 2.0.2 takes up
    /// to a second to recover from.
    public var pausesAt: Instant? {
        guard !isPaused, let fullSince else { return nil }
        return fullSince.advanced(by: limits.pauseAfter)
    }

    /// The oldest unfinished request's read time and the earliest deadline among them, for the age and slack gauges.
    public var oldest: (readAt: Instant?, deadline: Timestamp?) {
        (readAt.values.min(), deadlines.values.min())
    }

    /// A message was read.
    /// - Parameters:
    ///   - record: the message, as the consumer returned it and the pipeline verified it.
    ///   - holdUntil: for a signed retry or jobs record not yet due, when it is due; nil to start it now.
    ///   - now: the loop's clock.
    /// - Returns: ``Action/start(_:_:)``, or a hold; nothing for a message of a partition not assigned, or one
    ///   already tracked (a redelivery).
    public mutating func read(_ record: ConsumedRecord, holdUntil: Instant? = nil, now: Instant) -> [Action] {
        let message = record.message
        guard !isDraining, let ticket = ledger.track(partition: message.topicPartition, offset: message.offset) else {
            return []
        }
        readAt[ticket] = now
        var actions: [Action]
        if let holdUntil, holdUntil > now, heldTopics.contains(message.topicPartition.topic) {
            held[ticket] = Held(record: record, until: min(holdUntil, now.advanced(by: limits.longestHold)))
            actions = holdPartitions(heldCount >= limits.maxHeld ? holdingPartitions : [message.topicPartition])
        } else {
            actions = [.start(record, ticket)]
        }
        if isFull { fullSince = fullSince ?? now }
        return actions
    }

    /// The request's deadline became known, for the slack gauge.
    /// - Parameters:
    ///   - deadline: when the erasure must be done by.
    ///   - ticket: the request's ticket.
    public mutating func deadline(_ deadline: Timestamp, of ticket: Ticket) {
        guard readAt[ticket] != nil else { return }
        deadlines[ticket] = deadline
    }

    /// A request is done: its outcome, or its parked or dead-letter record, was acknowledged.
    /// - Parameter ticket: the request's ticket.
    /// - Returns: the offset to store for the ticket's partition, if its done prefix moved. Never a pause or a
    ///   resume: only the loop decides those, in ``tick(now:)``.
    public mutating func finished(_ ticket: Ticket) -> Int64? {
        readAt[ticket] = nil
        deadlines[ticket] = nil
        let offset = ledger.complete(ticket)
        if hasRoom { fullSince = nil }
        return offset
    }

    /// Time passed: held messages that came due start, and the pipeline pauses or resumes.
    /// - Parameter now: the loop's clock.
    public mutating func tick(now: Instant) -> [Action] {
        var actions: [Action] = []
        if !isDraining {
            let due = held.filter { $0.value.until <= now }.sorted { $0.key.offset < $1.key.offset }
            for (ticket, waiting) in due {
                held[ticket] = nil
                actions.append(.start(waiting.record, ticket))
            }
            if heldCount < limits.maxHeld {
                let stillHolding = Set(held.keys.map(\.partition))
                for partition in heldPartitions.subtracting(stillHolding).sorted() {
                    heldPartitions.remove(partition)
                    actions.append(.fetch(.release(partition)))
                }
            }
        }
        if isFull { fullSince = fullSince ?? now }
        if let pausesAt, now >= pausesAt {
            isPaused = true
            actions.append(.fetch(.pauseAll))
        } else if isPaused, !isDraining, hasRoom {
            isPaused = false
            fullSince = nil
            actions.append(.fetch(.resumeAll))
        }
        return actions
    }

    /// Partitions were assigned: their messages are tracked from now on, under a new generation.
    /// - Parameter partitions: the partitions added to this member's assignment.
    public mutating func assigned(_ partitions: [TopicPartition]) {
        ledger.assign(partitions)
        assigned.formUnion(partitions)
    }

    /// Partitions were revoked, or lost: their unfinished requests belong to the next owner now.
    /// - Parameter partitions: the partitions taken from this member.
    /// - Returns: the requests that were started and not finished, whose vendor work should stop.
    public mutating func revoked(_ partitions: [TopicPartition]) -> [Ticket] {
        let revoked = Set(partitions)
        assigned.subtract(revoked)
        heldPartitions.subtract(revoked)
        let abandoned = readAt.keys.filter { revoked.contains($0.partition) && held[$0] == nil }
        readAt = readAt.filter { !revoked.contains($0.key.partition) }
        deadlines = deadlines.filter { !revoked.contains($0.key.partition) }
        held = held.filter { !revoked.contains($0.key.partition) }
        ledger.revoke(partitions)
        if hasRoom { fullSince = nil }
        return abandoned.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
    }

    /// Shutdown began: fetching pauses for good and nothing new starts. Held messages stay unstored, so that whoever
    /// owns their partition next reads them again.
    public mutating func drain() -> [Action] {
        isDraining = true
        guard !isPaused else { return [] }
        isPaused = true
        return [.fetch(.pauseAll)]
    }

    private var holdingPartitions: [TopicPartition] {
        assigned.filter { heldTopics.contains($0.topic) }.sorted()
    }

    private mutating func holdPartitions(_ partitions: [TopicPartition]) -> [Action] {
        partitions.filter { heldPartitions.insert($0).inserted }.map { .fetch(.hold($0)) }
    }
}

import ErasureRelay
import Kafka
import Testing

/// The intake's decisions, each on its own, with instants the test chooses: no broker, no sleeps.
@Suite("Intake")
struct IntakeTests {
    let t0 = ContinuousClock.now
    let requests = TopicPartition(topic: "user-erasure", partition: 0)
    let otherRequests = TopicPartition(topic: "user-erasure", partition: 1)
    let retries = TopicPartition(topic: "user-erasure-retry", partition: 0)

    func intake(
        maxInFlight: Int = 4,
        resumeBelow: Int = 2,
        pauseAfter: Duration = .seconds(1),
        maxHeld: Int = 3,
        longestHold: Duration = .seconds(3600)
    ) -> Intake {
        var intake = Intake(
            limits: .init(
                maxInFlight: maxInFlight,
                resumeBelow: resumeBelow,
                pauseAfter: pauseAfter,
                maxHeld: maxHeld,
                longestHold: longestHold
            ),
            heldTopics: ["user-erasure-retry"]
        )
        intake.assigned([requests, otherRequests, retries])
        return intake
    }

    func message(_ partition: TopicPartition, _ offset: Int64) -> ConsumedRecord {
        ConsumedRecord(KafkaMessage(topicPartition: partition, offset: offset, key: nil, value: [], headers: []))
    }

    /// The tickets of the messages the actions start, in order.
    func started(_ actions: [Intake.Action]) -> [Intake.Ticket] {
        actions.compactMap { if case .start(_, let ticket) = $0 { ticket } else { nil } }
    }

    func stored(_ offset: Int64?) -> [Int64] {
        offset.map { [$0] } ?? []
    }

    func read(_ intake: inout Intake, _ partition: TopicPartition, _ offsets: ClosedRange<Int64>) -> [Intake.Ticket] {
        offsets.flatMap { started(intake.read(message(partition, $0), now: t0)) }
    }

    @Test func outOfOrderCompletionStoresOnlyTheDonePrefix() {
        var intake = intake(maxInFlight: 10)
        let tickets = read(&intake, requests, 0...3)
        #expect(stored(intake.finished(tickets[2])) == [])
        #expect(stored(intake.finished(tickets[1])) == [])
        #expect(stored(intake.finished(tickets[0])) == [3], "0, 1 and 2 are done: the next to read is 3")
        #expect(stored(intake.finished(tickets[3])) == [4])
        #expect(intake.started == 0)
    }

    @Test func aFullPipelineStopsReadingThenPausesOnlyAfterPauseAfter() {
        var intake = intake()
        let tickets = read(&intake, requests, 0...3)
        #expect(intake.isFull && intake.room == 0)
        #expect(intake.pausesAt == t0.advanced(by: .seconds(1)))
        #expect(
            !intake.tick(now: t0.advanced(by: .milliseconds(999))).contains {
                if case .fetch(.pauseAll) = $0 { true } else { false }
            }
        )
        #expect(!intake.isPaused)
        let actions = intake.tick(now: t0.advanced(by: .seconds(1)))
        #expect(actions.contains { if case .fetch(.pauseAll) = $0 { true } else { false } })
        #expect(intake.isPaused)
        _ = intake.finished(tickets[0])
        _ = intake.finished(tickets[1])
        // Hysteresis: 2 in flight is not below resume_below (2).
        #expect(intake.tick(now: t0.advanced(by: .seconds(2))).isEmpty)
        #expect(intake.isPaused)
        _ = intake.finished(tickets[2])
        let resumed = intake.tick(now: t0.advanced(by: .seconds(3)))
        #expect(resumed.contains { if case .fetch(.resumeAll) = $0 { true } else { false } })
        #expect(!intake.isPaused)
    }

    @Test func roomBeforePauseAfterMeansNoPause() {
        var intake = intake()
        let tickets = read(&intake, requests, 0...3)
        _ = intake.finished(tickets[0])
        _ = intake.finished(tickets[1])
        _ = intake.finished(tickets[2])
        #expect(intake.hasRoom)
        #expect(intake.pausesAt == nil)
        #expect(intake.tick(now: t0.advanced(by: .seconds(5))).isEmpty, "a brief saturation costs no pause")
    }

    @Test func finishingNeverPausesOrResumes() {
        var intake = intake()
        let tickets = read(&intake, requests, 0...3)
        _ = intake.tick(now: t0.advanced(by: .seconds(2)))
        #expect(intake.isPaused)
        for ticket in tickets { _ = intake.finished(ticket) }
        #expect(intake.isPaused, "only the loop's tick resumes, so librdkafka sees decisions in order")
    }

    @Test func aHeldRecordComesDueAndItsPartitionIsReleased() {
        var intake = intake()
        let due = t0.advanced(by: .seconds(60))
        let holding = intake.read(message(retries, 7), holdUntil: due, now: t0)
        #expect(holding.count == 1)
        guard case .fetch(.hold(let held)) = holding.first else {
            Issue.record("the retry partition is held")
            return
        }
        #expect(held == retries)
        #expect(intake.heldCount == 1 && intake.started == 0, "a held record takes no room from new requests")
        #expect(started(intake.tick(now: due.advanced(by: .milliseconds(-1)))).isEmpty)
        let actions = intake.tick(now: due)
        #expect(started(actions).map(\.offset) == [7])
        #expect(actions.contains { if case .fetch(.release(retries)) = $0 { true } else { false } })
        #expect(intake.heldCount == 0 && intake.started == 1)
    }

    /// A jobs-topic record not yet due is held as a parked one is; the held bound stops both topics' partitions; a
    /// request-topic record is never held, whatever it says.
    @Test func jobsRecordsAreHeldBesideParkedWorkUnderOneBound() {
        let jobs = TopicPartition(topic: "user-erasure-jobs", partition: 0)
        var intake = Intake(
            limits: .init(
                maxInFlight: 4,
                resumeBelow: 2,
                pauseAfter: .seconds(1),
                maxHeld: 2,
                longestHold: .seconds(3600)
            ),
            heldTopics: ["user-erasure-retry", "user-erasure-jobs"]
        )
        intake.assigned([requests, retries, jobs])
        let due = t0.advanced(by: .seconds(60))
        #expect(intake.read(message(jobs, 0), holdUntil: due, now: t0).contains { $0.isHold(of: jobs) })
        #expect(started(intake.read(message(requests, 0), holdUntil: due, now: t0)).count == 1)
        let atTheBound = intake.read(message(retries, 0), holdUntil: due, now: t0)
        #expect(atTheBound.contains { $0.isHold(of: retries) })
        #expect(intake.heldCount == 2)
        #expect(started(intake.tick(now: due)).map(\.partition).sorted() == [retries, jobs].sorted())
    }

    @Test func aNotBeforeFarAheadIsHeldNoLongerThanTheLongestPark() {
        var intake = intake(longestHold: .seconds(3600))
        _ = intake.read(message(retries, 1), holdUntil: t0.advanced(by: .seconds(86_400 * 365)), now: t0)
        #expect(started(intake.tick(now: t0.advanced(by: .seconds(3599)))).isEmpty)
        #expect(started(intake.tick(now: t0.advanced(by: .seconds(3600)))).count == 1)
    }

    @Test func heldRecordsHaveTheirOwnBoundAndNeverStarveNewRequests() {
        var intake = intake(maxInFlight: 4, maxHeld: 3)
        let far = t0.advanced(by: .seconds(600))
        var holds: [TopicPartition] = []
        for offset in 0..<5 {
            for case .fetch(.hold(let partition)) in intake.read(
                message(retries, Int64(offset)),
                holdUntil: far,
                now: t0
            ) {
                holds.append(partition)
            }
        }
        #expect(intake.heldCount == 5)
        #expect(holds == [retries], "the retry partitions stop fetching once the bound is reached")
        // New requests still have all their room.
        #expect(intake.room == 4)
        #expect(read(&intake, requests, 0...3).count == 4)
    }

    @Test func aRevocationWithRequestsInFlightDropsThemAndStoresNothingForThem() {
        var intake = intake(maxInFlight: 10)
        let revoked = read(&intake, requests, 0...2)
        let kept = read(&intake, otherRequests, 0...1)
        let dropped = intake.revoked([requests])
        #expect(dropped == revoked, "their vendor work is stopped")
        #expect(intake.started == 2)
        #expect(stored(intake.finished(revoked[0])) == [], "a revoked partition's offsets are its new owner's")
        #expect(stored(intake.finished(kept[0])) == [1])
        // Assigned again, the partition starts afresh: an old ticket stores nothing.
        intake.assigned([requests])
        let again = read(&intake, requests, 0...0)
        #expect(stored(intake.finished(revoked[1])) == [])
        #expect(stored(intake.finished(again[0])) == [1])
    }

    @Test func aDrainPausesStartsNothingAndNeverResumes() {
        var intake = intake()
        let tickets = read(&intake, requests, 0...1)
        _ = intake.read(message(retries, 0), holdUntil: t0.advanced(by: .seconds(1)), now: t0)
        let actions = intake.drain()
        #expect(actions.contains { if case .fetch(.pauseAll) = $0 { true } else { false } })
        #expect(intake.read(message(requests, 2), now: t0).isEmpty)
        #expect(intake.room == 0)
        for ticket in tickets { _ = intake.finished(ticket) }
        let later = intake.tick(now: t0.advanced(by: .seconds(10)))
        #expect(later.isEmpty, "no resume, and the held record stays unstored: \(later)")
        #expect(intake.started == 0 && intake.heldCount == 1)
    }

    @Test func aDrainThatTimesOutLeavesUnfinishedRequestsUnstored() {
        var intake = intake()
        let tickets = read(&intake, requests, 0...2)
        _ = intake.drain()
        #expect(stored(intake.finished(tickets[1])) == [])
        // Timed out: tickets 0 and 2 never finish, and the revocation at close drops them.
        #expect(intake.started == 2)
        #expect(intake.revoked([requests, otherRequests, retries]) == [tickets[0], tickets[2]])
    }

    @Test func offsetJumpsNeverStallTheLedger() {
        var intake = intake(maxInFlight: 10)
        // Log truncation or compaction: offsets jump forward.
        let forward = [0, 1, 1000, 5000].flatMap { started(intake.read(message(requests, Int64($0)), now: t0)) }
        #expect(forward.reversed().compactMap { intake.finished($0) } == [5001])
        // An offset reset backwards redelivers what is already done: it is not started again.
        #expect(intake.read(message(requests, 2), now: t0).isEmpty)
        #expect(intake.read(message(requests, 5000), now: t0).isEmpty)
        let after = started(intake.read(message(requests, 5001), now: t0))
        #expect(after.compactMap { intake.finished($0) } == [5002])
    }

    @Test func messagesOfUnassignedPartitionsAreNotStarted() {
        var intake = intake()
        #expect(intake.read(message(TopicPartition(topic: "user-erasure", partition: 9), 0), now: t0).isEmpty)
        _ = intake.revoked([requests])
        #expect(intake.read(message(requests, 0), now: t0).isEmpty)
    }
}

extension Intake.Action {
    func isHold(of partition: TopicPartition) -> Bool {
        if case .fetch(.hold(partition)) = self { true } else { false }
    }
}

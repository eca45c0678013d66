import ErasureRelay
import Testing

@Suite("Offset ledger")
struct OffsetLedgerTests {
    @Test func storesOnlyPastTheLongestDonePrefix() throws {
        var ledger = OffsetLedger<Int>()
        ledger.assign([0])
        let tickets = try (10...14).map { try tracked(&ledger, 0, Int64($0)) }
        #expect(ledger.inFlightCount == 5)
        #expect(ledger.complete(tickets[2]) == nil)
        #expect(ledger.complete(tickets[1]) == nil)
        #expect(ledger.complete(tickets[0]) == 13)
        #expect(ledger.complete(tickets[4]) == nil)
        #expect(ledger.oldestInFlight[0] == 13)
        #expect(ledger.complete(tickets[3]) == 15)
        #expect(ledger.inFlightCount == 0)
    }

    @Test func partitionsAreIndependent() throws {
        var ledger = OffsetLedger<Int>()
        ledger.assign([0, 1])
        let first = try tracked(&ledger, 0, 0)
        let second = try tracked(&ledger, 1, 7)
        #expect(ledger.complete(second) == 8)
        #expect(ledger.complete(first) == 1)
    }

    @Test func ignoresUnassignedPartitionsAndRedeliveries() throws {
        var ledger = OffsetLedger<Int>()
        #expect(ledger.track(partition: 0, offset: 1) == nil)
        ledger.assign([0])
        #expect(ledger.track(partition: 0, offset: 5) != nil)
        #expect(ledger.track(partition: 0, offset: 5) == nil)
        #expect(ledger.track(partition: 0, offset: 4) == nil)
        #expect(ledger.inFlightCount == 1)
    }

    @Test func revocationDropsWorkAndStaleTicketsNeverStore() throws {
        var ledger = OffsetLedger<Int>()
        ledger.assign([0])
        let stale = try tracked(&ledger, 0, 3)
        #expect(ledger.revoke([0]) == 1)
        #expect(ledger.inFlightCount == 0)
        #expect(ledger.complete(stale) == nil)
        ledger.assign([0])
        let fresh = try tracked(&ledger, 0, 3)
        #expect(ledger.complete(stale) == nil)
        #expect(ledger.inFlightCount == 1)
        #expect(ledger.complete(fresh) == 4)
    }

    @Test func completingTwiceCountsOnce() throws {
        var ledger = OffsetLedger<Int>()
        ledger.assign([0])
        let ticket = try tracked(&ledger, 0, 0)
        #expect(ledger.complete(ticket) == 1)
        #expect(ledger.complete(ticket) == nil)
        #expect(ledger.inFlightCount == 0)
    }

    @Test("Random completion orders never store past an unfinished message", arguments: 0..<20)
    func randomOrders(seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed))
        var ledger = OffsetLedger<Int>()
        ledger.assign([0])
        let count = 3000
        var tickets = try (0..<count).map { try tracked(&ledger, 0, Int64($0)) }
        tickets.shuffle(using: &generator)
        var done = Set<Int64>()
        var stored: Int64 = 0
        for ticket in tickets {
            done.insert(ticket.offset)
            if let offset = ledger.complete(ticket) {
                #expect(offset > stored)
                stored = offset
            }
            // Everything below the stored offset is done; the stored offset itself is not.
            var expected: Int64 = 0
            while done.contains(expected) { expected += 1 }
            #expect(stored == expected)
        }
        #expect(stored == Int64(count))
        #expect(ledger.inFlightCount == 0)
    }
}

private func tracked(
    _ ledger: inout OffsetLedger<Int>,
    _ partition: Int,
    _ offset: Int64
) throws
    -> OffsetLedger<Int>.Ticket
{
    let ticket = ledger.track(partition: partition, offset: offset)
    return try #require(ticket)
}

/// A deterministic generator, so that a failing random case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed &+ 0x9E37_79B9_7F4A_7C15
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import ErasureRelay
import Testing

@Suite("Quota share by partitions")
struct QuotaShareTests {
    struct MissingTopic: Error {}

    func partitions(_ list: (String, Int32)...) -> [(topic: String, partition: Int32)] {
        list.map { (topic: $0.0, partition: $0.1) }
    }

    func tracker() -> PartitionShareTracker {
        PartitionShareTracker(weights: ["requests": 1, "retries": 0.1], share: QuotaShare(initial: 0))
    }

    @Test func aReplicaHoldingOnlyRetryPartitionsGetsASmallShareAndTheSharesAddUpToOne() async throws {
        let counts = ["requests": 1, "retries": 1]
        let holdsRequests = tracker()
        let holdsRetries = tracker()
        try await holdsRequests.assigned(partitions(("requests", 0))) { counts[$0]! }
        try await holdsRetries.assigned(partitions(("retries", 0))) { counts[$0]! }
        #expect(abs(holdsRequests.share.value - 1 / 1.1) < 1e-9)
        #expect(abs(holdsRetries.share.value - 0.1 / 1.1) < 1e-9)
        #expect(abs(holdsRequests.share.value + holdsRetries.share.value - 1) < 1e-9)
    }

    @Test func aRetryTopicThatDoesNotExistCountsAsEmpty() async throws {
        let tracker = tracker()
        try await tracker.assigned(partitions(("requests", 0), ("requests", 1))) { topic in
            guard topic == "requests" else { throw MissingTopic() }
            return 4
        }
        #expect(tracker.share.value == 0.5)
    }

    @Test func revocationLowersTheShareBeforeThePartitionsMove() async throws {
        let tracker = tracker()
        try await tracker.assigned(partitions(("requests", 0), ("requests", 1), ("retries", 0))) {
            $0 == "requests" ? 2 : 1
        }
        #expect(tracker.share.value == 1)
        tracker.revoking(remaining: partitions(("requests", 1)))
        #expect(abs(tracker.share.value - 1 / 2.1) < 1e-9)
    }

    @Test func partitionsAddedElsewhereLowerTheShareAtTheNextAssignment() async throws {
        let tracker = tracker()
        try await tracker.assigned(partitions(("requests", 0), ("requests", 1))) { $0 == "requests" ? 4 : 0 }
        #expect(tracker.share.value == 0.5)
        // Four partitions are added; the rebalance that follows leaves this replica its own two.
        try await tracker.assigned(partitions(("requests", 0), ("requests", 1))) { $0 == "requests" ? 8 : 0 }
        #expect(tracker.share.value == 0.25)
    }

    @Test func aCountThatCannotBeHadForAnAssignedTopicIsAnError() async {
        await #expect(throws: MissingTopic.self) {
            try await tracker().assigned(partitions(("requests", 0))) { _ in throw MissingTopic() }
        }
    }
}

import Kafka
import Testing

@testable import ErasureRelay

@Suite("Follow-up lineage")
struct FollowUpLineageTests {
    let jobs0 = TopicPartition(topic: "user-erasure-jobs", partition: 0)
    let jobs1 = TopicPartition(topic: "user-erasure-jobs", partition: 1)

    func position(_ offset: Int64, partition: Int32 = 0) -> Outcome.Source {
        .init(topic: "user-erasure-jobs", partition: partition, offset: offset)
    }

    /// Two records written from the same one: the first read goes on, the second is skipped in its favour, and
    /// the record that goes on may be read again without being skipped.
    @Test func theFirstOfTwoSiblingsGoesOn() {
        var lineage = FollowUpLineage(capacity: 10)
        #expect(lineage.claim(position(1), at: 2, in: jobs0) == nil)
        #expect(lineage.claim(position(1), at: 3, in: jobs0) == 2)
        #expect(lineage.claim(position(1), at: 2, in: jobs0) == nil)
        // The next records of each line, and a request's first record, are each the first of theirs.
        #expect(lineage.claim(position(2), at: 4, in: jobs0) == nil)
        #expect(lineage.claim(position(4), at: 5, in: jobs0) == nil)
        let request = Outcome.Source(topic: "user-erasure", partition: 0, offset: 2)
        #expect(lineage.claim(request, at: 6, in: jobs0) == nil)
        #expect(lineage.claim(request, at: 7, in: jobs0) == 6)
        // Another partition's records are another line.
        #expect(lineage.claim(position(1), at: 3, in: jobs1) == nil)
    }

    /// A partition assigned again is read again from its committed offset: what was claimed in it before is
    /// forgotten, and the other partitions' claims are kept.
    @Test func aPartitionAssignedAgainStartsAfresh() {
        var lineage = FollowUpLineage(capacity: 10)
        #expect(lineage.claim(position(1), at: 2, in: jobs0) == nil)
        #expect(lineage.claim(position(1), at: 2, in: jobs1) == nil)
        lineage.forget([jobs0])
        #expect(lineage.count == 1)
        #expect(lineage.claim(position(1), at: 3, in: jobs0) == nil)
        #expect(lineage.claim(position(1), at: 3, in: jobs1) == 2)
        lineage.forget([jobs0, jobs1])
        #expect(lineage.count == 0)
    }

    /// Memory stays bounded however many records are read: past its capacity the lineage forgets its oldest claims
    /// first, and only those.
    @Test func theOldestClaimsGoFirstPastTheCapacity() {
        var lineage = FollowUpLineage(capacity: 100)
        for offset in Int64(0)..<1_000 {
            #expect(lineage.claim(position(offset), at: offset + 10_000, in: offset % 3 == 0 ? jobs1 : jobs0) == nil)
            #expect(lineage.count <= 100)
            if offset == 500 { lineage.forget([jobs1]) }
        }
        #expect(lineage.count == 100)
        // The last hundred are remembered; the one before them is not.
        for offset in Int64(900)..<1_000 {
            let partition = offset % 3 == 0 ? jobs1 : jobs0
            #expect(lineage.claim(position(offset), at: 0, in: partition) == offset + 10_000)
        }
        #expect(lineage.claim(position(899), at: 0, in: jobs0) == nil)
    }
}

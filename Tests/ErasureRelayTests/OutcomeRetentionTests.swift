import ErasureRelay
import Testing

/// The outcome topic must keep the compliance record for `outcomes.min_retention_days`: judged from the topic's
/// configuration as a cluster describes it.
@Suite("Outcome retention")
struct OutcomeRetentionTests {
    static let day: Int64 = 86_400_000

    static func configuration(retentionMs: Int64, bytes: Int64 = -1, policy: String = "delete") -> [String: String] {
        ["retention.ms": "\(retentionMs)", "retention.bytes": "\(bytes)", "cleanup.policy": policy]
    }

    @Test func keepingEveryOutcomeAtLeastTheMinimumIsSufficient() {
        #expect(
            OutcomeRetention.judging(Self.configuration(retentionMs: 730 * Self.day), minimumDays: 730) == .sufficient
        )
        #expect(OutcomeRetention.judging(Self.configuration(retentionMs: -1), minimumDays: 730) == .sufficient)
        #expect(OutcomeRetention.judging(Self.configuration(retentionMs: 7 * Self.day), minimumDays: 7) == .sufficient)
    }

    @Test func aClusterDefaultOfSevenDaysIsTooShortAndSaysByHowMuch() {
        let verdict = OutcomeRetention.judging(Self.configuration(retentionMs: 7 * Self.day), minimumDays: 730)
        #expect(
            verdict
                == .insufficient(["retention.ms is 604800000 (7 days), below outcomes.min_retention_days (730 days)"])
        )
        #expect(
            OutcomeRetention.judging(Self.configuration(retentionMs: 730 * Self.day - 1), minimumDays: 730)
                != .sufficient
        )
    }

    @Test func compactionOrASizeLimitCanDropAnOutcomeOfAnyAge() {
        guard
            case .insufficient(let compacted) = OutcomeRetention.judging(
                Self.configuration(retentionMs: -1, policy: "compact"),
                minimumDays: 730
            )
        else {
            Issue.record("a compacted topic passed")
            return
        }
        #expect(compacted.count == 1 && compacted[0].hasPrefix("cleanup.policy is compact"))
        guard
            case .insufficient(let both) = OutcomeRetention.judging(
                Self.configuration(retentionMs: -1, policy: "compact,delete"),
                minimumDays: 730
            )
        else {
            Issue.record("a compacted topic passed")
            return
        }
        #expect(both.count == 1)
        guard
            case .insufficient(let sized) = OutcomeRetention.judging(
                Self.configuration(retentionMs: -1, bytes: 1 << 30),
                minimumDays: 730
            )
        else {
            Issue.record("a size-limited topic passed")
            return
        }
        #expect(
            sized == [
                "retention.bytes is 1073741824: each partition drops its oldest outcomes beyond that size, whatever their age"
            ]
        )
    }

    @Test func aConfigurationWithoutRetentionIsUnknownNotSufficient() {
        guard case .unknown = OutcomeRetention.judging([:], minimumDays: 730) else {
            Issue.record("no retention.ms judged known")
            return
        }
    }
}

import Testing

@testable import ErasureRelay

@Suite("Retry budget")
struct RetryBudgetTests {
    /// Always draws the top of the range, so that a backoff is its ceiling.
    struct HighestDraw: RandomNumberGenerator {
        mutating func next() -> UInt64 { .max }
    }

    private func budget(maxAttempts: Int = 4, maxElapsedSeconds: Int = 60) -> RetryBudget {
        var settings = VendorSettings.Retry()
        settings.maxAttempts = maxAttempts
        settings.maxElapsedSeconds = maxElapsedSeconds
        settings.initialBackoffMilliseconds = 100
        settings.maxBackoffMilliseconds = 1_000
        return RetryBudget(settings)
    }

    @Test func aFailureWithinTheBudgetIsRetriedAfterABackoffThatDoublesUpToItsCeiling() {
        var random = HighestDraw()
        let budget = budget(maxAttempts: 10)
        let waits = (1...6).map {
            budget.decide(attempts: $0, elapsed: .seconds(1), vendorWait: .zero, using: &random)
        }
        #expect(
            waits == [100, 200, 400, 800, 1_000, 1_000].map { RetryBudget.Decision.retry(after: .milliseconds($0)) }
        )
    }

    @Test func aFailedBatchIsRetriedTogetherAfterOneBackoffForItsMostTriedIdentifier() {
        var random = HighestDraw()
        let decisions = budget(maxAttempts: 4).decide(
            batch: [(1, .seconds(1)), (3, .seconds(2)), (2, .seconds(1)), (4, .seconds(3))],
            vendorWait: .zero,
            using: &random
        )
        #expect(
            decisions == [
                .retry(after: .milliseconds(800)), .retry(after: .milliseconds(800)),
                .retry(after: .milliseconds(800)), .exhausted,
            ]
        )
    }

    @Test func theVendorsWaitOutweighsAShorterBackoff() {
        var random = HighestDraw()
        let decision = budget().decide(attempts: 1, elapsed: .seconds(1), vendorWait: .seconds(7), using: &random)
        #expect(decision == .retry(after: .seconds(7)))
    }

    @Test func theLastAttemptExhaustsTheBudget() {
        var random = HighestDraw()
        let budget = budget(maxAttempts: 4)
        #expect(budget.decide(attempts: 3, elapsed: .zero, vendorWait: .zero, using: &random) != .exhausted)
        #expect(budget.decide(attempts: 4, elapsed: .zero, vendorWait: .zero, using: &random) == .exhausted)
    }

    @Test func theElapsedTimeExhaustsTheBudgetWhateverTheAttempts() {
        var random = HighestDraw()
        let budget = budget(maxElapsedSeconds: 60)
        #expect(budget.decide(attempts: 1, elapsed: .seconds(59), vendorWait: .zero, using: &random) != .exhausted)
        #expect(budget.decide(attempts: 1, elapsed: .seconds(60), vendorWait: .zero, using: &random) == .exhausted)
    }

    @Test func aVendorWaitThatWouldOutlastTheBudgetParksTheWorkInsteadOfHoldingIt() {
        var random = HighestDraw()
        let budget = budget(maxElapsedSeconds: 60)
        let fits = budget.decide(attempts: 1, elapsed: .seconds(10), vendorWait: .seconds(50), using: &random)
        let outlasts = budget.decide(attempts: 1, elapsed: .seconds(10), vendorWait: .seconds(51), using: &random)
        #expect(fits == .retry(after: .seconds(50)))
        #expect(outlasts == .park(wait: .seconds(51)))
        #expect(!budget.outlasts(.seconds(60)) && budget.outlasts(.seconds(61)))
    }
}

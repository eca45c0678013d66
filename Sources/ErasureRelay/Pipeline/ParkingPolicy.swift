/// What becomes of a request once its vendors have answered: a pure decision, tested on its own.
public struct ParkingPolicy: Sendable, Hashable {
    /// Why a request failed as a whole; the dead-letter record's error code.
    public enum Failure: String, Sendable, Hashable {
        /// A vendor refused the erasure for good (or is not configured here).
        case vendorFailed = "vendor_failed"
        /// Vendors still failing after `parking.max_parks` parks.
        case retriesExhausted = "retries_exhausted"
        /// Vendors still failing when the request's deadline passed.
        case deadlinePassed = "deadline_passed"
        /// Vendors still failing, and the producer or the retry topic cannot take the parked record (the message is
        /// larger than they accept).
        case parkingRefused = "parking_refused"

        public var message: String {
            switch self {
            case .vendorFailed: "a vendor refused the erasure; see the outcome's vendor errors"
            case .retriesExhausted: "vendors were still failing after every park; replay once they recover"
            case .deadlinePassed:
                "vendors were still failing when the request's deadline passed; replay once they recover"
            case .parkingRefused:
                "vendors were still failing and the message is too large to park on the retry topic"
            }
        }
    }

    public enum Decision: Sendable, Hashable {
        /// Every vendor accepted or skipped: publish the `completed` outcome.
        case completed
        /// Park the vendors that may still succeed, to try them again at `notBefore`.
        case park(vendors: [VendorID], notBefore: Timestamp)
        /// Publish the `failed` outcome, with a dead-letter record naming the vendors to replay.
        case failed(Failure, vendors: [VendorID])
    }

    public var parking: RelayConfiguration.Parking

    public init(_ parking: RelayConfiguration.Parking) {
        self.parking = parking
    }

    /// Decides from every vendor's latest result. Vendors that failed with retries exhausted are parked while parks
    /// remain and the deadline is ahead; the wait doubles with each park, and never runs past the deadline, so that
    /// the last attempt comes before it. A vendor that asked for a longer wait (``VendorResult/notBefore``) is not
    /// tried before that time, yet no park lasts longer than `parking.max_delay_seconds`.
    public func decide(results: [VendorResult], parks: Int, deadline: Timestamp, now: Timestamp) -> Decision {
        let failed = results.filter { $0.status == .failed }
        guard !failed.isEmpty else { return .completed }
        let retriable = failed.filter(\.retriesExhausted).map(\.vendor)
        let failedVendors = failed.map(\.vendor)
        guard !retriable.isEmpty else { return .failed(.vendorFailed, vendors: failedVendors) }
        guard now < deadline else { return .failed(.deadlinePassed, vendors: failedVendors) }
        guard parks < parking.maxParks else { return .failed(.retriesExhausted, vendors: failedVendors) }
        let backoff = now.adding(seconds: Int64(delaySeconds(afterParks: parks)))
        let vendorsAllow = failed.compactMap(\.notBefore).max() ?? backoff
        let longest = now.adding(seconds: Int64(parking.maxDelaySeconds))
        let notBefore = min(max(backoff, vendorsAllow), longest, deadline)
        return .park(vendors: retriable, notBefore: notBefore)
    }

    /// The decision when a park was decided but the retry topic cannot take the record (the message is larger than
    /// the producer or the topic accepts): the request fails, naming every failed vendor for a replay, since sending
    /// the record again would hold its partition forever.
    /// - Parameter results: every vendor's latest result, as given to ``decide(results:parks:deadline:now:)``.
    public func parkingRefused(results: [VendorResult]) -> Decision {
        .failed(.parkingRefused, vendors: results.filter { $0.status == .failed }.map(\.vendor))
    }

    /// The wait before the attempt that follows park number `parks + 1`.
    public func delaySeconds(afterParks parks: Int) -> Int {
        let doublings = min(parks, 30)
        return min(parking.maxDelaySeconds, parking.initialDelaySeconds << doublings)
    }
}

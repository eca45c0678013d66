/// What one request's identifiers came to at one vendor, as the answers to their calls arrive.
///
/// A pure value: the lane records each identifier's end in it, and turns it into the request's ``VendorResult`` once
/// every identifier has ended.
struct RequestTally: Sendable {
    /// How one identifier ended.
    struct Ending: Sendable {
        var attempts: Int
        var lastStatus: Int?
        /// Why it failed; nil when the vendor took it.
        var failure: String?
        /// Whether trying again later could still succeed.
        var retriable = false
        var reference: String?
        var note: String?
        var deleted: Int?
        /// For a retriable failure, the earliest time the vendor allows another call.
        var notBefore: Timestamp?
        /// For a vendor that follows jobs, whether this accepted erasure should have named its job.
        var namesJob = false
        /// For a job's status check, the state the vendor gave.
        var jobState: JobState?
    }

    /// The identifiers of the request that have not ended yet.
    private(set) var remaining: Int
    private let identifiers: Int
    private var attempts = 0
    private var lastStatus: Int?
    private var references: [String] = []
    private var notes: [String] = []
    private var deleted: Int?
    private var failure: String?
    private var failureIsRetriable = false
    private var notBefore: Timestamp?
    private var untracedJobs = 0
    private var jobState: JobState?

    /// - Parameters:
    ///   - items: the items the lane sends separately.
    ///   - identifiers: the identifiers they carry, as the outcome counts them.
    init(items: Int, identifiers: Int) {
        self.remaining = items
        self.identifiers = identifiers
    }

    var isComplete: Bool { remaining == 0 }

    /// One item became `count` items, each ending on its own, as a look-up's matches each need a delete.
    mutating func expand(into count: Int) {
        remaining += count - 1
    }

    mutating func record(_ ending: Ending) {
        remaining -= 1
        attempts = max(attempts, ending.attempts)
        lastStatus = ending.lastStatus ?? lastStatus
        // A job id that holds the separator of the joined references would be followed as two ids that are not.
        let referenceKept =
            ending.reference.map {
                !(ending.namesJob && $0.contains(",")) && Self.append($0, to: &references, separator: ",")
            } ?? false
        if ending.namesJob, ending.failure == nil, !referenceKept {
            // A job nobody can follow is counted, so that the request can never be confirmed without it.
            untracedJobs = min(untracedJobs + 1, RequestProgress.maxCount)
        }
        jobState = ending.jobState ?? jobState
        if let note = ending.note { _ = Self.append(note, to: &notes, separator: "; ") }
        if let count = ending.deleted { deleted = min((deleted ?? 0) + count, CallResult.maxDeletedCount) }
        if let time = ending.notBefore { notBefore = max(notBefore ?? time, time) }
        if let reason = ending.failure, failure == nil || (failureIsRetriable && !ending.retriable) {
            // A permanent failure outweighs a retriable one: trying again cannot complete the request.
            failure = reason
            failureIsRetriable = ending.retriable
        }
    }

    /// The request's result at `vendor`: accepted only when every identifier was taken.
    func result(for vendor: VendorID) -> VendorResult {
        let retriesExhausted = failure != nil && failureIsRetriable
        return VendorResult(
            vendor: vendor,
            status: failure == nil ? .accepted : .failed,
            attempts: attempts,
            httpStatus: lastStatus,
            identifiers: identifiers,
            reference: references.isEmpty ? nil : references.joined(separator: ","),
            error: failure ?? (notes.isEmpty ? nil : notes.joined(separator: "; ")),
            deleted: deleted,
            retriesExhausted: retriesExhausted,
            notBefore: retriesExhausted ? notBefore : nil,
            untracedJobs: untracedJobs > 0 ? untracedJobs : nil,
            jobState: jobState
        )
    }

    /// Adds `text` to `texts` unless it is there already or the joined texts would outgrow what a retry header may
    /// carry (``RequestProgress/maxTextLength``): one request's identifiers can span many calls.
    /// - Returns: whether `texts` holds `text` now.
    private static func append(_ text: String, to texts: inout [String], separator: String) -> Bool {
        guard !texts.contains(text) else { return true }
        let joinedLength = texts.reduce(0) { $0 + $1.utf8.count + separator.utf8.count }
        guard joinedLength + text.utf8.count <= RequestProgress.maxTextLength else { return false }
        texts.append(text)
        return true
    }
}

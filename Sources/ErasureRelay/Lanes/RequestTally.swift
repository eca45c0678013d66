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
        if let reference = ending.reference { Self.append(reference, to: &references, separator: ",") }
        if let note = ending.note { Self.append(note, to: &notes, separator: "; ") }
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
            notBefore: retriesExhausted ? notBefore : nil
        )
    }

    /// Adds `text` to `texts` unless it is there already or the joined texts would outgrow what a retry header may
    /// carry (``RequestProgress/maxTextLength``): one request's identifiers can span many calls.
    private static func append(_ text: String, to texts: inout [String], separator: String) {
        guard !texts.contains(text) else { return }
        let joinedLength = texts.reduce(0) { $0 + $1.utf8.count + separator.utf8.count }
        guard joinedLength + text.utf8.count <= RequestProgress.maxTextLength else { return }
        texts.append(text)
    }
}

import NIOHTTP1

/// How a call ended, as the lane needs to know it.
public enum CallResult: Sendable, Hashable {
    /// The vendor took the erasure. `note` explains an accepted call with nothing to delete (an unknown user).
    case accepted(reference: String?, deleted: Int?, note: String?)
    /// Trying the same call again will not help. When `isolateItems` is true the vendor judged the batch as a whole,
    /// so it is split to find the items at fault instead of failing their neighbours.
    case rejected(reason: String, isolateItems: Bool)
    /// The call may succeed later. `retryAfter` is how long the vendor asked every caller to wait, in seconds.
    case retriable(reason: String, retryAfter: Double?)
}

extension CallResult {
    /// The most users a vendor may report as deleted by one call; a larger count is not believed.
    static let maxDeletedCount = 1_000_000

    /// The result made safe to keep: every identifier of `items` scrubbed from its texts (see ``VendorText``), the
    /// vendor's reference bounded to 128 printable ASCII characters, its counts and waits within range.
    /// - Parameter items: the identifiers the call carried, to scrub from the vendor's text.
    public func sanitized(for items: [VendorItem]) -> CallResult {
        switch self {
        case .accepted(let reference, let deleted, let note):
            let (kept, referenceNote) = VendorText.reference(reference, of: items)
            let notes = [note.map { VendorText.scrub($0, of: items) }, referenceNote].compactMap { $0 }
            return .accepted(
                reference: kept,
                deleted: deleted.flatMap { (0...Self.maxDeletedCount).contains($0) ? $0 : nil },
                note: notes.isEmpty ? nil : notes.joined(separator: "; ")
            )
        case .rejected(let reason, let isolateItems):
            return .rejected(reason: VendorText.scrub(reason, of: items), isolateItems: isolateItems)
        case .retriable(let reason, let retryAfter):
            return .retriable(
                reason: VendorText.scrub(reason, of: items),
                retryAfter: retryAfter.flatMap(RetryHints.clamped)
            )
        }
    }
}

/// What a vendor says of a deletion job it took: still running, done, or failed.
public enum JobState: Sendable, Hashable {
    case running
    case done
    /// `reason` holds only words the vendor's definition declares, never the vendor's free text.
    case failed(reason: String)
}

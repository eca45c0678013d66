/// The law under which erasure is requested.
public enum Regulation: String, Sendable, Hashable, CaseIterable {
    /// The EU General Data Protection Regulation, Art. 17.
    case gdpr
    /// The California Consumer Privacy Act.
    case ccpa

    /// GDPR Art. 12(3) allows one month; CCPA 1798.130 allows 45 days.
    public var defaultDeadlineDays: Int {
        switch self {
        case .gdpr: 30
        case .ccpa: 45
        }
    }
}

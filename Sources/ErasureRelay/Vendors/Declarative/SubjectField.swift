import NIOHTTP1

/// A request field a declared vendor can take.
public enum SubjectField: Sendable, Hashable, CustomStringConvertible {
    case externalID, brazeID, moengageID, email, phone, googleAdvertisingID, advertisingIdentifier
    /// Each entry of `engagelab_registration_ids`.
    case registrationIDs
    /// Each entry of `user_aliases`: its `alias_name` is the identifier, its `alias_label` the placeholder
    /// `{alias_label}`.
    case userAliases
    /// `subject.custom.NAME`.
    case custom(String)

    static let named: [String: SubjectField] = [
        "external_id": .externalID, "braze_id": .brazeID, "moengage_id": .moengageID, "email": .email,
        "phone": .phone, "google_advertising_id": .googleAdvertisingID,
        "advertising_identifier": .advertisingIdentifier, "engagelab_registration_ids": .registrationIDs,
        "user_aliases": .userAliases,
    ]

    /// The placeholder of a user alias's label.
    package static let aliasLabel = "alias_label"

    init?(name: String) {
        if let field = Self.named[name] {
            self = field
        } else if name.hasPrefix("custom."), let custom = Optional(String(name.dropFirst("custom.".count))),
            Subject.isCustomName(custom)
        {
            self = .custom(custom)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .custom(let name): "custom.\(name)"
        default: Self.named.first { $0.value == self }!.key
        }
    }

    /// The values `subject` carries in this field, each with the placeholders that come with it (a user alias's
    /// label).
    func entries(in subject: Subject) -> [(value: String, companions: [String: String])] {
        guard self == .userAliases else { return values(in: subject).map { ($0, [:]) } }
        return subject.userAliases.map { ($0.aliasName, [Self.aliasLabel: $0.aliasLabel]) }
    }

    /// Whether a request may hold several values of this field.
    var isList: Bool { self == .registrationIDs || self == .userAliases }

    /// The values `subject` carries in this field.
    public func values(in subject: Subject) -> [String] {
        switch self {
        case .userAliases: subject.userAliases.map(\.aliasName)
        case .externalID: subject.externalID.map { [$0] } ?? []
        case .brazeID: subject.brazeID.map { [$0] } ?? []
        case .moengageID: subject.moengageID.map { [$0] } ?? []
        case .email: subject.email.map { [$0] } ?? []
        case .phone: subject.phone.map { [$0] } ?? []
        case .googleAdvertisingID: subject.googleAdvertisingID.map { [$0] } ?? []
        case .advertisingIdentifier: subject.advertisingIdentifier.map { [$0] } ?? []
        case .registrationIDs: subject.engagelabRegistrationIDs
        case .custom(let name): subject.custom[name].map { [$0] } ?? []
        }
    }
}

/// A Braze user alias.
public struct UserAlias: Sendable, Hashable {
    /// `alias_name`: the alias itself.
    public var aliasName: String
    /// `alias_label`: the kind of alias, such as `loyalty_id`.
    public var aliasLabel: String

    public init(aliasName: String, aliasLabel: String) {
        self.aliasName = aliasName
        self.aliasLabel = aliasLabel
    }
}

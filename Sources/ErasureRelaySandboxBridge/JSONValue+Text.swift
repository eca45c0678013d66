import ErasureRelay

extension JSONValue {
    var objectMembers: [String: JSONValue] {
        if case .object(let members) = self { members } else { [:] }
    }

    /// Compact JSON text, keys sorted.
    var jsonText: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let value): JSONText.quoted(value)
        case .array(let elements): "[" + elements.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.keys.sorted().map { JSONText.quoted($0) + ":" + members[$0]!.jsonText }.joined(separator: ",")
                + "}"
        }
    }
}

/// A JSON body written as YAML: strings are ``TemplateText``, other scalars are copied, and a member or element whose
/// placeholders have no value is left out.
///
/// Not `indirect`: its recursion goes through arrays, which box already. Boxed cases keep the case's tag in the spare
/// bits of their pointer, which the fuzzers' leak checker cannot follow, so every long-lived template read as a leak.
public enum JSONTemplate: Sendable, Hashable {
    public struct Member: Sendable, Hashable {
        package var name: TemplateText
        package var value: JSONTemplate
    }

    case object([Member])
    case array([JSONTemplate])
    case text(TemplateText)
    /// A number, `true`, `false` or `null`, as JSON text.
    case literal(String)

    /// The name of the slot a batch's items go into.
    package static let itemsSlot = "items"

    /// Every placeholder, with the key path it appears under.
    package func placeholders(at key: String) -> [(name: String, key: String)] {
        switch self {
        case .object(let members):
            members.flatMap { member in
                let memberKey = "\(key).\(member.name.render([:], encode: { $0 }) ?? "{…}")"
                return member.name.placeholders.map { ($0, key) } + member.value.placeholders(at: memberKey)
            }
        case .array(let elements):
            elements.enumerated().flatMap { index, element in element.placeholders(at: "\(key)[\(index)]") }
        case .text(let text):
            text.placeholders.map { ($0, key) }
        case .literal:
            []
        }
    }

    /// Whether the ``itemsSlot`` appears only as a whole value: in other text or in a member's name it would have
    /// no value, and the member would be left out with the batch's identifiers.
    var holdsItemsAsAWholeValue: Bool {
        switch self {
        case .object(let members):
            members.allSatisfy { !$0.name.placeholders.contains(Self.itemsSlot) && $0.value.holdsItemsAsAWholeValue }
        case .array(let elements):
            elements.allSatisfy(\.holdsItemsAsAWholeValue)
        case .text(let text):
            !text.placeholders.contains(Self.itemsSlot) || text.soloPlaceholder == Self.itemsSlot
        case .literal:
            true
        }
    }

    /// Every text of the template, member names included, with the key path it appears under.
    func texts(at key: String) -> [(text: TemplateText, key: String)] {
        switch self {
        case .object(let members):
            members.flatMap { member in
                let memberKey = "\(key).\(member.name.render([:], encode: { $0 }) ?? "{…}")"
                return [(member.name, key)] + member.value.texts(at: memberKey)
            }
        case .array(let elements):
            elements.enumerated().flatMap { index, element in element.texts(at: "\(key)[\(index)]") }
        case .text(let text):
            [(text, key)]
        case .literal:
            []
        }
    }

    /// Appends the JSON this template gives with `values`; false, appending nothing, when it is left out.
    /// - Parameter items: the JSON array standing for the ``itemsSlot`` placeholder.
    @discardableResult
    func render(_ values: [String: String], items: [UInt8]? = nil, into output: inout [UInt8]) -> Bool {
        switch self {
        case .literal(let json):
            output += json.utf8
        case .text(let text):
            if text.soloPlaceholder == Self.itemsSlot, let items {
                output += items
                return true
            }
            guard let string = text.render(values) else { return false }
            output += JSONText.quoted(string).utf8
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            var first = true
            for member in members {
                guard let name = member.name.render(values) else { continue }
                var value: [UInt8] = []
                guard member.value.render(values, items: items, into: &value) else { continue }
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                output += JSONText.quoted(name).utf8
                output.append(UInt8(ascii: ":"))
                output += value
            }
            output.append(UInt8(ascii: "}"))
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                var value: [UInt8] = []
                guard element.render(values, items: items, into: &value) else { continue }
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                output += value
            }
            output.append(UInt8(ascii: "]"))
        }
        return true
    }
}

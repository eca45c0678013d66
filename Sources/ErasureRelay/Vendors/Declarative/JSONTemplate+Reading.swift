import NIOHTTP1
import Yams

extension JSONTemplate {
    /// Reads a template that may be absent: nil when `node` is.
    static func read(optional node: Node?, key: String) throws(ConfigurationError) -> JSONTemplate? {
        guard let node else { return nil }
        return try read(yaml: node, key: key)
    }

    /// Reads a body template: YAML strings become templates, and numbers, booleans and nulls written plainly stay what
    /// they are.
    static func read(yaml node: Node, key: String) throws(ConfigurationError) -> JSONTemplate {
        switch node {
        case .mapping(let mapping):
            var members: [Member] = []
            for (name, value) in mapping {
                guard let nameText = name.string else {
                    throw ConfigurationError(key: key, message: "must have text keys")
                }
                members.append(
                    Member(
                        name: try TemplateText(parsing: nameText, key: "\(key).\(nameText)"),
                        value: try read(yaml: value, key: "\(key).\(nameText)")
                    )
                )
            }
            return .object(members)
        case .sequence(let sequence):
            var elements: [JSONTemplate] = []
            for (index, element) in sequence.enumerated() {
                elements.append(try read(yaml: element, key: "\(key)[\(index)]"))
            }
            return .array(elements)
        case .scalar(let scalar):
            if scalar.style == .plain {
                if node.null != nil { return .literal("null") }
                if let bool = node.bool { return .literal(String(bool)) }
                if node.int != nil || node.float != nil, let number = jsonNumber(scalar.string) {
                    return .literal(number)
                }
            }
            return .text(try TemplateText(parsing: scalar.string, key: key))
        case .alias:
            throw ConfigurationError(key: key, message: "must not use YAML aliases")
        }
    }

    /// `text` if it is a JSON number as written.
    private static func jsonNumber(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        let parsed = bytes.withUnsafeBufferPointer { try? JSONValue.parse($0) }
        if case .number? = parsed { return text }
        return nil
    }
}

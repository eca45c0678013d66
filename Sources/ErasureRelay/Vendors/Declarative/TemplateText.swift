/// Text with `{name}` placeholders, as a declared vendor's URL, headers and body are written. `{{` and `}}` stand for
/// literal braces.
public struct TemplateText: Sendable, Hashable {
    package enum Part: Sendable, Hashable {
        case literal(String)
        case placeholder(String)
    }

    package let parts: [Part]

    /// The placeholders, in order of appearance.
    public var placeholders: [String] {
        parts.compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    /// The placeholder when the text is nothing else, which in a JSON body stands for a whole value.
    package var soloPlaceholder: String? {
        if parts.count == 1, case .placeholder(let name) = parts[0] { name } else { nil }
    }

    /// Reads `text`; a brace that opens no well-formed placeholder is an error naming `key`.
    init(parsing text: String, key: String) throws(ConfigurationError) {
        var parts: [Part] = []
        var literal = ""
        var scalars = Substring(text).unicodeScalars[...]
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "{" where scalars.first == "{":
                scalars.removeFirst()
                literal.unicodeScalars.append("{")
            case "}" where scalars.first == "}":
                scalars.removeFirst()
                literal.unicodeScalars.append("}")
            case "{":
                guard let close = scalars.firstIndex(of: "}") else {
                    throw ConfigurationError(key: key, message: "has a '{' without its '}' (write {{ for a brace)")
                }
                let name = String(String.UnicodeScalarView(scalars[..<close]))
                guard Self.isPlaceholderName(name) else {
                    throw ConfigurationError(
                        key: key,
                        message: "has a placeholder {\(name)}: names are letters, digits and '_'"
                    )
                }
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(.placeholder(name))
                scalars = scalars[scalars.index(after: close)...]
            case "}":
                throw ConfigurationError(key: key, message: "has a '}' without its '{' (write }} for a brace)")
            default:
                literal.unicodeScalars.append(scalar)
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// Whether `name` can stand between braces: letters, digits and `_`.
    static func isPlaceholderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy {
                VendorID.isNameByte($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
            }
    }

    /// The template as written.
    static func display(_ text: TemplateText) -> String {
        text.parts.map { part in
            switch part {
            case .literal(let literal):
                literal.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
            case .placeholder(let name):
                "{\(name)}"
            }
        }.joined()
    }

    /// The text with each placeholder's value passed through `encode`; nil when a placeholder has no value, as an
    /// identifier the request does not carry.
    package func render(_ values: [String: String], encode: (String) -> String = { $0 }) -> String? {
        var result = ""
        for part in parts {
            switch part {
            case .literal(let text):
                result += text
            case .placeholder(let name):
                guard let value = values[name] else { return nil }
                result += encode(value)
            }
        }
        return result
    }
}

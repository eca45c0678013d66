/// JSON written by hand, so that vendor bodies and log lines are byte-for-byte predictable (key order, escaping).
package enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    package static func quoted(_ text: String) -> String {
        var result = "\""
        appendEscaped(text, to: &result)
        result.append("\"")
        return result
    }

    /// Appends `text` as a JSON string literal, or `null`.
    static func appendValue(_ text: String?, to result: inout String) {
        guard let text else {
            result += "null"
            return
        }
        result.append("\"")
        appendEscaped(text, to: &result)
        result.append("\"")
    }

    /// Appends `text` escaped for the inside of a JSON string literal, without quotes.
    static func appendEscaped(_ text: String, to result: inout String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                result += "\\u"
                for shift in [12, 8, 4, 0] {
                    result.unicodeScalars.append(lowerHexDigits[Int(scalar.value >> shift & 0xF)])
                }
            default: result.unicodeScalars.append(scalar)
            }
        }
    }

    private static let lowerHexDigits = Array("0123456789abcdef".unicodeScalars)
}

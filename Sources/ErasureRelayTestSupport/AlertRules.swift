import Foundation

/// The alerting rules of a Prometheus rule file, each with its name and its one-line expression.
public struct AlertRules: Sendable {
    public let names: [String]
    public let expressions: [String]

    public init(file: String) throws {
        var names: [String] = []
        var expressions: [String] = []
        for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let name = trimmed.wholeMatch(of: /- alert:\s*(\S+)/) {
                names.append(String(name.output.1))
            } else if let expression = trimmed.wholeMatch(of: /expr:\s*(.+)/) {
                // A folded or literal block would need a YAML reader; the rule file keeps each expression on a line.
                guard !["|", ">"].contains(expression.output.1.prefix(1)) else {
                    throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: file])
                }
                expressions.append(String(expression.output.1))
            }
        }
        self.names = names
        self.expressions = expressions
    }
}

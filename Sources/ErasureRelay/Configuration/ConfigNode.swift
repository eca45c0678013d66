import Foundation
import Yams

/// A read cursor over the YAML configuration that knows its own key path, substitutes `${VAR}` and
/// `${VAR:-default}` from the environment in scalars, and remembers which keys were read so that an unknown key is
/// reported rather than ignored.
final class ConfigNode {
    let path: String
    private let mapping: [String: Node]
    private let environment: [String: String]
    private var readKeys: Set<String> = []

    init(path: String, node: Node?, environment: [String: String]) throws(ConfigurationError) {
        self.path = path
        self.environment = environment
        if node == nil || node?.null != nil {
            self.mapping = [:]
            return
        }
        switch node {
        case .mapping(let mapping):
            var entries: [String: Node] = [:]
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw ConfigurationError(key: path, message: "keys must be strings")
                }
                entries[name] = value
            }
            self.mapping = entries
        default:
            throw ConfigurationError(key: path, message: "must be a mapping of keys to values")
        }
    }

    var isEmpty: Bool { mapping.isEmpty }
    var keys: [String] { mapping.keys.sorted() }

    func contains(_ key: String) -> Bool { mapping[key] != nil }

    func child(_ key: String) throws(ConfigurationError) -> ConfigNode? {
        readKeys.insert(key)
        guard let node = mapping[key], node.null == nil else { return nil }
        return try ConfigNode(path: qualified(key), node: node, environment: environment)
    }

    /// The mapping under `key`, or each mapping of the list under it, as `key[0]`, `key[1]` and so on: a setting
    /// that may be given once or several times, such as `rate_limit`.
    func childList(_ key: String) throws(ConfigurationError) -> [ConfigNode]? {
        readKeys.insert(key)
        guard let node = mapping[key], node.null == nil else { return nil }
        guard let sequence = node.sequence else {
            return [try ConfigNode(path: qualified(key), node: node, environment: environment)]
        }
        var children: [ConfigNode] = []
        for (index, element) in sequence.enumerated() {
            children.append(
                try ConfigNode(path: "\(qualified(key))[\(index)]", node: element, environment: environment)
            )
        }
        return children
    }

    /// The YAML under `key` as written, for values read as templates rather than settings.
    func yaml(_ key: String) -> Node? {
        readKeys.insert(key)
        guard let node = mapping[key], node.null == nil else { return nil }
        return node
    }

    /// Whether the value under `key` comes from the environment, by `${VAR}` or an `ERASURE_RELAY__` override,
    /// rather than from text written in the file.
    func isFromEnvironment(_ key: String) -> Bool {
        let override = EnvironmentOverrides.variableName(for: qualified(key))
        if environment.keys.contains(where: { $0.uppercased() == override }) { return true }
        guard let written = mapping[key]?.scalar?.string else { return false }
        return written.hasPrefix("${") && written.hasSuffix("}")
    }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        readKeys.insert(key)
        guard let node = mapping[key], node.null == nil else { return nil }
        guard let scalar = node.scalar else {
            throw ConfigurationError(key: qualified(key), message: "must be a single value, not a list or mapping")
        }
        return try substitute(scalar.string, key: qualified(key))
    }

    /// Refuses a secret written with a default, `${VAR:-text}`: the default is text in the file, and would be used
    /// as the credential whenever the variable is unset.
    private func rejectDefault(inSecret key: String) throws(ConfigurationError) {
        let written =
            mapping[key].map { node in
                node.scalar.map { [$0.string] } ?? (node.sequence?.compactMap(\.scalar?.string) ?? [])
            } ?? []
        for text in written where text.contains("${") && text.contains(":-") {
            throw ConfigurationError(
                key: qualified(key),
                message: "is a secret with a default (${VARIABLE:-...}), which puts a credential in the file; give "
                    + "${VARIABLE} alone or \(key)_file"
            )
        }
    }

    /// A secret given inline (`api_key`) or as a file to read it from (`api_key_file`).
    func secret(_ key: String) throws(ConfigurationError) -> Secret? {
        try rejectDefault(inSecret: key)
        let inline = try string(key)
        let file = try string("\(key)_file")
        switch (inline, file) {
        case (let value?, nil):
            return Secret(value)
        case (nil, let path?):
            let text = try ConfigurationFile.text(
                atPath: path,
                limit: ConfigurationFile.maxSecretBytes,
                key: qualified("\(key)_file")
            )
            return Secret(text.trimmingCharacters(in: .whitespacesAndNewlines))
        case (_?, _?):
            throw ConfigurationError(key: qualified(key), message: "give either \(key) or \(key)_file, not both")
        case (nil, nil):
            return nil
        }
    }

    func requiredSecret(_ key: String) throws(ConfigurationError) -> Secret {
        guard let secret = try secret(key), !secret.value.isEmpty else {
            throw ConfigurationError(key: qualified(key), message: "is required (or \(key)_file)")
        }
        return secret
    }

    /// Secrets given inline as one value or a list (`signing_key`), or as a file holding one per line
    /// (`signing_key_file`). Empty when neither is given.
    func secretList(_ key: String) throws(ConfigurationError) -> [Secret] {
        readKeys.insert(key)
        try rejectDefault(inSecret: key)
        let inline: [String]?
        if let node = mapping[key], node.null == nil, node.sequence != nil {
            inline = try stringList(key)
        } else {
            inline = try string(key).map { [$0] }
        }
        let file = try string("\(key)_file")
        switch (inline, file) {
        case (let values?, nil):
            return values.map(Secret.init)
        case (nil, let path?):
            let text = try ConfigurationFile.text(
                atPath: path,
                limit: ConfigurationFile.maxSecretBytes,
                key: qualified("\(key)_file")
            )
            return text.split(whereSeparator: \.isNewline)
                .map { Secret($0.trimmingCharacters(in: .whitespaces)) }
                .filter { !$0.value.isEmpty }
        case (_?, _?):
            throw ConfigurationError(key: qualified(key), message: "give either \(key) or \(key)_file, not both")
        case (nil, nil):
            return []
        }
    }

    func requiredString(_ key: String) throws(ConfigurationError) -> String {
        guard let value = try string(key), !value.isEmpty else {
            throw ConfigurationError(key: qualified(key), message: "is required")
        }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw ConfigurationError(key: qualified(key), message: "must be a whole number, not '\(text)'")
        }
        guard range.contains(value) else {
            throw ConfigurationError(
                key: qualified(key),
                message: "must be between \(range.lowerBound) and \(range.upperBound), not \(value)"
            )
        }
        return value
    }

    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true": return true
        case "false": return false
        default: throw ConfigurationError(key: qualified(key), message: "must be true or false, not '\(text)'")
        }
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let text = try string(key) else { return nil }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw ConfigurationError(key: qualified(key), message: "must be a number, not '\(text)'")
        }
        guard range.contains(value) else {
            throw ConfigurationError(
                key: qualified(key),
                message: "must be between \(range.lowerBound) and \(range.upperBound), not \(value)"
            )
        }
        return value
    }

    func stringList(_ key: String) throws(ConfigurationError) -> [String]? {
        readKeys.insert(key)
        guard let node = mapping[key], node.null == nil else { return nil }
        guard let sequence = node.sequence else {
            throw ConfigurationError(key: qualified(key), message: "must be a list")
        }
        var values: [String] = []
        for (index, element) in sequence.enumerated() {
            guard let scalar = element.scalar else {
                throw ConfigurationError(key: "\(qualified(key))[\(index)]", message: "must be a single value")
            }
            values.append(try substitute(scalar.string, key: "\(qualified(key))[\(index)]"))
        }
        return values
    }

    /// Every entry of a mapping of plain values, such as `kafka.properties`.
    func stringMap() throws(ConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        for key in keys {
            guard let value = try string(key) else { continue }
            values[key] = value
        }
        return values
    }

    /// Every entry of a mapping from a name to a file, such as `kafka.property_files`, with each file's contents in
    /// place of its path, trimmed of surrounding whitespace as a mounted secret's trailing newline must be.
    func fileContents() throws(ConfigurationError) -> [String: String] {
        var contents: [String: String] = [:]
        for (key, path) in try stringMap() {
            let text = try ConfigurationFile.text(
                atPath: path,
                limit: ConfigurationFile.maxSecretBytes,
                key: qualified(key)
            )
            contents[key] = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return contents
    }

    /// Fails on the first key that was never read.
    func rejectUnknownKeys() throws(ConfigurationError) {
        if let unknown = keys.first(where: { !readKeys.contains($0) }) {
            throw ConfigurationError(key: qualified(unknown), message: "is not a known setting")
        }
    }

    func qualified(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    private func substitute(_ text: String, key: String) throws(ConfigurationError) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ConfigurationError(key: key, message: "has an unclosed '${'")
            }
            let expression = rest[start.upperBound..<end]
            let name: Substring
            let fallback: Substring?
            if let separator = expression.range(of: ":-") {
                name = expression[..<separator.lowerBound]
                fallback = expression[separator.upperBound...]
            } else {
                name = expression
                fallback = nil
            }
            if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                throw ConfigurationError(key: key, message: "environment variable \(name) is not set")
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}

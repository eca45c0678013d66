import NIOHTTP1
import Yams

extension HTTPVendorDefinition {
    static func identifiers(_ node: ConfigNode) throws(ConfigurationError) -> [Identifier] {
        guard let identifiersNode = try node.child("identifiers"), !identifiersNode.isEmpty else {
            throw ConfigurationError(
                key: node.qualified("identifiers"),
                message: "is required: map the request fields the vendor takes to the names it knows them by"
            )
        }
        var identifiers: [Identifier] = []
        // In the order written: a subject's identifiers appear in its calls in this order.
        let written = node.yaml("identifiers")?.mapping?.keys.compactMap(\.string) ?? identifiersNode.keys
        for fieldName in written {
            let key = identifiersNode.qualified(fieldName)
            guard let field = SubjectField(name: fieldName) else {
                throw ConfigurationError(
                    key: key,
                    message: "is not a request field; use one of "
                        + SubjectField.named.keys.sorted().joined(separator: ", ") + ", or custom.NAME"
                )
            }
            var identifier = Identifier(field: field, name: fieldName, normalization: [], hash: nil, item: nil)
            if identifiersNode.yaml(fieldName)?.mapping != nil, let options = try identifiersNode.child(fieldName) {
                identifier.name = try options.string("as") ?? fieldName.replacingOccurrences(of: "custom.", with: "")
                for (index, step) in (try options.stringList("normalize") ?? []).enumerated() {
                    guard let normalization = Normalization(rawValue: step) else {
                        throw ConfigurationError(
                            key: "\(options.qualified("normalize"))[\(index)]",
                            message: "must be trim or lowercase, not '\(step)'"
                        )
                    }
                    identifier.normalization.append(normalization)
                }
                identifier.hash = try options.string("hash").map { text throws(ConfigurationError) in
                    guard let hash = Hash(rawValue: text) else {
                        throw ConfigurationError(
                            key: options.qualified("hash"),
                            message: "must be sha256, not '\(text)'"
                        )
                    }
                    return hash
                }
                identifier.item = try JSONTemplate.read(optional: options.yaml("item"), key: options.qualified("item"))
                try options.rejectUnknownKeys()
            } else {
                identifier.name = try identifiersNode.requiredString(fieldName)
            }
            try validateName(identifier.name, key: key)
            guard !identifiers.contains(where: { $0.name == identifier.name }) else {
                throw ConfigurationError(key: key, message: "gives the name \(identifier.name) a second time")
            }
            identifiers.append(identifier)
        }
        return identifiers
    }

    static func answers(
        _ node: ConfigNode
    ) throws(ConfigurationError) -> (
        rules: [AnswerRule], default: AnswerClass, reference: JSONPath?, deletedCount: JSONPath?
    ) {
        guard let answers = try node.child("answers") else {
            throw ConfigurationError(
                key: node.qualified("answers"),
                message: "is required: give the rules that tell an accepted erasure from a failed one"
            )
        }
        guard let list = answers.yaml("rules")?.sequence, !list.isEmpty else {
            throw ConfigurationError(key: answers.qualified("rules"), message: "must be a list of at least one rule")
        }
        var rules: [AnswerRule] = []
        for (index, element) in list.enumerated() {
            let rule = try ConfigNode(path: "\(answers.qualified("rules"))[\(index)]", node: element, environment: [:])
            var status: ClosedRange<Int>?
            if let text = try rule.string("status") {
                let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map {
                    Int($0.trimmingCharacters(in: .whitespaces))
                }
                guard (1...2).contains(bounds.count), let low = bounds.first!, let high = bounds.last!,
                    100 <= low, low <= high, high <= 599
                else {
                    throw ConfigurationError(
                        key: rule.qualified("status"),
                        message: "must be a status code or a range such as 200-299, not '\(text)'"
                    )
                }
                status = low...high
            }
            let jsonPath = try rule.string("json_path").map { text throws(ConfigurationError) in
                guard let path = JSONPath(text) else {
                    throw ConfigurationError(
                        key: rule.qualified("json_path"),
                        message: "must be a path such as error.details[0].code"
                    )
                }
                return path
            }
            let equals = try rule.string("equals")
            if equals != nil, jsonPath == nil {
                throw ConfigurationError(key: rule.qualified("equals"), message: "needs json_path")
            }
            let bodyContains = try rule.string("body_contains")
            let hasHeader = try rule.string("has_header")
            let bodyShape: BodyShape? = rule.contains("body") ? try choice(rule, "body", default: .json) : nil
            guard status != nil || jsonPath != nil || bodyContains != nil || hasHeader != nil || bodyShape != nil
            else {
                throw ConfigurationError(
                    key: rule.path,
                    message: "has nothing to match: give status, json_path, body_contains, has_header or body"
                )
            }
            guard let resultText = try rule.string("result") else {
                throw ConfigurationError(key: rule.qualified("result"), message: "is required")
            }
            guard let result = AnswerClass(rawValue: resultText) else {
                throw ConfigurationError(
                    key: rule.qualified("result"),
                    message: "must be one of \(AnswerClass.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let waitHeader = try rule.string("wait_header")
            let waitFormat = try choice(rule, "wait_format", default: WaitFormat.seconds)
            for key in ["wait_header", "wait_format"] where rule.contains(key) && result != .rateLimited {
                throw ConfigurationError(key: rule.qualified(key), message: "applies to rate_limited only")
            }
            try Self.validateProof(result, status: status, jsonPath: jsonPath, equals: equals, rule: rule)
            let splitBatch = try rule.bool("split_batch")
            let note = try rule.string("note")
            if note != nil, result != .accepted {
                throw ConfigurationError(key: rule.qualified("note"), message: "applies to accepted only")
            }
            try rule.rejectUnknownKeys()
            rules.append(
                AnswerRule(
                    status: status,
                    jsonPath: jsonPath,
                    equals: equals,
                    bodyContains: bodyContains,
                    hasHeader: hasHeader,
                    bodyShape: bodyShape,
                    result: result,
                    waitHeader: waitHeader ?? "Retry-After",
                    waitFormat: waitFormat,
                    splitBatch: splitBatch ?? true,
                    note: note
                )
            )
        }
        guard rules.contains(where: { $0.result == .accepted || $0.result == .notFound }) else {
            throw ConfigurationError(
                key: answers.qualified("rules"),
                message: "has no rule with result accepted or not_found, so no erasure could ever complete"
            )
        }
        let defaultResult = try choice(answers, "default", default: AnswerClass.permanent)
        guard defaultResult != .accepted, defaultResult != .notFound else {
            throw ConfigurationError(
                key: answers.qualified("default"),
                message: "must not be \(defaultResult.rawValue): an answer no rule expects is no proof of erasure"
            )
        }
        func path(_ key: String, example: String) throws(ConfigurationError) -> JSONPath? {
            try answers.string(key).map { text throws(ConfigurationError) in
                guard let path = JSONPath(text) else {
                    throw ConfigurationError(key: answers.qualified(key), message: "must be a path such as \(example)")
                }
                return path
            }
        }
        let reference = try path("reference", example: "data.id")
        let deletedCount = try path("deleted", example: "deleted")
        try answers.rejectUnknownKeys()
        return (rules, defaultResult, reference, deletedCount)
    }
}

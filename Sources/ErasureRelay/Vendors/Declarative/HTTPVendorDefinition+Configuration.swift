import NIOHTTP1
import Yams

extension VendorSettings {
    /// Reads `vendors.NAME` with `kind: http`. Every mistake is reported as one line naming its key.
    init(declared vendor: VendorID, node: ConfigNode) throws(ConfigurationError) {
        _ = try node.string("kind")
        let definition = try HTTPVendorDefinition(node: node)
        guard let baseURL = try node.string("base_url") else {
            throw ConfigurationError(key: node.qualified("base_url"), message: "is required for a vendor of kind http")
        }
        try Self.validateBaseURL(baseURL, key: node.qualified("base_url"))
        guard try node.child("rate_limit") != nil else {
            throw ConfigurationError(
                key: node.qualified("rate_limit"),
                message: "is required for a vendor of kind http: give the quota its API documents"
            )
        }
        self.init(
            vendor: vendor,
            baseURL: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL,
            account: definition,
            batching: Batching(maxSize: 1)
        )
        try readLaneSettings(from: node, maxBatchSize: definition.scope == .batch ? 10_000 : 1)
        if definition.scope == .batch, try node.child("batch")?.contains("max_size") != true {
            throw ConfigurationError(
                key: node.qualified("batch.max_size"),
                message: "is required when request.per is batch: give the most identifiers the API takes in one call"
            )
        }
    }
}

extension HTTPVendorDefinition {
    init(node: ConfigNode) throws(ConfigurationError) {
        settings = try node.child("settings")?.stringMap() ?? [:]
        secrets = [:]
        if let secretsNode = try node.child("secrets") {
            for key in secretsNode.keys {
                let name = key.hasSuffix("_file") ? String(key.dropLast("_file".count)) : key
                guard secrets[name] == nil else { continue }
                if secretsNode.contains(name), !secretsNode.isFromEnvironment(name) {
                    throw ConfigurationError(
                        key: secretsNode.qualified(name),
                        message: "is a secret written in plain text; give it as ${VARIABLE} or \(name)_file"
                    )
                }
                secrets[name] = try secretsNode.requiredSecret(name)
            }
            try secretsNode.rejectUnknownKeys()
        }
        for name in Array(settings.keys) + Array(secrets.keys) {
            let key = node.qualified("\(settings[name] != nil ? "settings" : "secrets").\(name)")
            try Self.validateName(name, key: key)
            if settings[name] != nil, secrets[name] != nil {
                throw ConfigurationError(key: key, message: "is both a setting and a secret")
            }
            // A value goes into URLs and headers, where a line break could start a header or a request of its own.
            let value = settings[name] ?? secrets[name]!.value
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw ConfigurationError(key: key, message: "must not contain control characters such as line breaks")
            }
        }

        guard let request = try node.child("request") else {
            throw ConfigurationError(key: node.qualified("request"), message: "is required for a vendor of kind http")
        }
        let methodName = try request.requiredString("method").uppercased()
        guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(methodName) else {
            throw ConfigurationError(
                key: request.qualified("method"),
                message: "must be GET, POST, PUT, PATCH or DELETE, not '\(methodName)'"
            )
        }
        method = HTTPMethod(rawValue: methodName)
        let url = try request.requiredString("url")
        guard url.hasPrefix("/") else {
            throw ConfigurationError(
                key: request.qualified("url"),
                message: "must be a path relative to base_url, starting with '/'"
            )
        }
        // Literal text goes on the wire as written, so it must already be what a request target may hold; a
        // fragment would never reach the vendor.
        guard url.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != "#" }) else {
            throw ConfigurationError(
                key: request.qualified("url"),
                message: "must be printable ASCII without spaces or '#': percent-encode any other character"
            )
        }
        let pathText = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = try TemplateText(parsing: String(pathText[0]), key: request.qualified("url"))
        query = []
        if pathText.count == 2 {
            for pair in pathText[1].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append(
                    (
                        String(parts[0]),
                        try TemplateText(
                            parsing: parts.count == 2 ? String(parts[1]) : "",
                            key: request.qualified("url")
                        )
                    )
                )
            }
        }
        scope = try Self.choice(request, "per", default: .identifier)
        mixKinds = try request.bool("mix_kinds") ?? false
        switch try request.string("batch_by") {
        case nil, "identifier":
            batchesSubjects = false
        case "subject":
            batchesSubjects = true
        case let other?:
            throw ConfigurationError(
                key: request.qualified("batch_by"),
                message: "must be identifier or subject, not '\(other)'"
            )
        }
        contentType = try Self.choice(request, "content_type", default: .json)
        headers = []
        if let headerNode = request.yaml("headers") {
            guard let mapping = headerNode.mapping else {
                throw ConfigurationError(
                    key: request.qualified("headers"),
                    message: "must be a mapping of names to values"
                )
            }
            for (name, value) in mapping {
                let key = request.qualified("headers.\(name.string ?? "?")")
                guard let name = name.string, !name.isEmpty, let value = value.scalar?.string else {
                    throw ConfigurationError(key: key, message: "must be a header name with a single value")
                }
                guard name.utf8.allSatisfy(Self.isHeaderNameByte) else {
                    throw ConfigurationError(key: key, message: "is not a valid header name")
                }
                guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw ConfigurationError(
                        key: key,
                        message: "must not contain control characters such as line breaks"
                    )
                }
                headers.append((name, try TemplateText(parsing: value, key: key)))
            }
        }
        auth = try Self.auth(request)
        body = try JSONTemplate.read(optional: request.yaml("body"), key: request.qualified("body"))
        item = try JSONTemplate.read(optional: request.yaml("item"), key: request.qualified("item"))
        try request.rejectUnknownKeys()

        identifiers = try Self.identifiers(node)
        let answers = try Self.answers(node)
        rules = answers.rules
        defaultResult = answers.default
        referencePath = answers.reference
        deletedCountPath = answers.deletedCount
        try validateNamespace(node)
        try validatePlaceholders(request: request)
    }

    /// RFC 9110's `tchar`: what a header name is made of.
    private static func isHeaderNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func validateName(_ name: String, key: String) throws(ConfigurationError) {
        guard TemplateText.isPlaceholderName(name), name.utf8.count <= 64 else {
            throw ConfigurationError(key: key, message: "must be named with 1 to 64 of A-Z, a-z, 0-9 and '_'")
        }
        guard !reservedNames.contains(name) else {
            throw ConfigurationError(key: key, message: "uses the reserved name \(name)")
        }
    }

    private static func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: ConfigNode,
        _ key: String,
        default: Choice
    ) throws(ConfigurationError) -> Choice where Choice.RawValue == String {
        guard let text = try node.string(key) else { return `default` }
        guard let choice = Choice(rawValue: text) else {
            throw ConfigurationError(
                key: node.qualified(key),
                message: "must be one of \(Choice.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'"
            )
        }
        return choice
    }

    private static func auth(_ request: ConfigNode) throws(ConfigurationError) -> Auth {
        guard let node = try request.child("auth") else { return .none }
        var chosen: [Auth] = []
        if let secret = try node.string("bearer") { chosen.append(.bearer(secret: secret)) }
        if let basic = try node.child("basic") {
            chosen.append(
                .basic(username: try basic.requiredString("username"), password: try basic.requiredString("password"))
            )
            try basic.rejectUnknownKeys()
        }
        for kind in ["header", "query"] {
            if let keyNode = try node.child(kind) {
                let name = try keyNode.requiredString("name")
                let secret = try keyNode.requiredString("secret")
                chosen.append(
                    kind == "header" ? .header(name: name, secret: secret) : .query(name: name, secret: secret)
                )
                try keyNode.rejectUnknownKeys()
            }
        }
        try node.rejectUnknownKeys()
        guard chosen.count == 1 else {
            throw ConfigurationError(
                key: request.qualified("auth"),
                message: "must give exactly one of bearer, basic, header, query"
            )
        }
        return chosen[0]
    }

    private static func identifiers(_ node: ConfigNode) throws(ConfigurationError) -> [Identifier] {
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

    private static func answers(
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

    /// Settings, secrets, identifiers and the built-in placeholders are one namespace: a template names a value by
    /// its name alone, so two values of one name would let an identifier the request lacks fall back to a fixed
    /// setting (erasing a user nobody asked about) or put a secret where an identifier belongs.
    private func validateNamespace(_ node: ConfigNode) throws(ConfigurationError) {
        var owners: [String: String] = [:]
        for name in Self.reservedNames { owners[name] = "the built-in placeholder {\(name)}" }
        var names = settings.keys.sorted().map { ($0, node.qualified("settings.\($0)")) }
        names += secrets.keys.sorted().map { ($0, node.qualified("secrets.\($0)")) }
        names += identifiers.map { ($0.name, node.qualified("identifiers.\($0.field)")) }
        for (name, key) in names {
            if let owner = owners[name] {
                throw ConfigurationError(
                    key: key,
                    message: "is named \(name), as \(owner) is: settings, secrets, identifiers and built-in "
                        + "placeholders must each have a name of their own"
                )
            }
            owners[name] = key
        }
    }

    /// Only what a vendor answers for success can prove an erasure, and only its own "no such user" answer that
    /// nothing was left to erase; a throttled or failing vendor (429, 5xx) proves nothing and is decided before
    /// any rule. So a rule that can prove is confined to those answers, by status and, for a "no such user" that is
    /// not a success, by a value in the vendor's own answer: a gateway's or a wrong region's 404 is not one.
    private static func validateProof(
        _ result: AnswerClass,
        status: ClosedRange<Int>?,
        jsonPath: JSONPath?,
        equals: String?,
        rule: ConfigNode
    ) throws(ConfigurationError) {
        let success = status.map { 200 <= $0.lowerBound && $0.upperBound <= 299 } ?? false
        switch result {
        case .accepted:
            guard success else {
                throw ConfigurationError(
                    key: rule.qualified("status"),
                    message: "must be given, within 200-299, for result accepted: only a success can prove an erasure"
                )
            }
        case .notFound:
            guard let status, !success else { break }
            let code = status.count == 1 ? status.lowerBound : nil
            let notAboutTheUser: Set<Int> = [401, 403, 407, 408, 429]
            guard let code, (400...499).contains(code), !notAboutTheUser.contains(code) else {
                throw ConfigurationError(
                    key: rule.qualified("status"),
                    message: "must be within 200-299, or one status such as 404 or 410, for result not_found"
                )
            }
            guard jsonPath != nil, code == 404 || code == 410 || equals != nil else {
                throw ConfigurationError(
                    key: rule.qualified("json_path"),
                    message: "is required for result not_found on HTTP \(code)"
                        + (code == 404 || code == 410 ? "" : ", with equals")
                        + ": only the vendor's own answer says there is no such user, not a gateway's page"
                )
            }
        case .retriable, .rateLimited, .permanent:
            break
        }
        if result == .notFound, status == nil {
            throw ConfigurationError(
                key: rule.qualified("status"),
                message: "must be given for result not_found: within 200-299, or one status such as 404 or 410"
            )
        }
    }

    /// Every placeholder must have a value when a call is made, and a batch must have a slot for its items.
    private func validatePlaceholders(request: ConfigNode) throws(ConfigurationError) {
        var known = Set(settings.keys).union(secrets.keys).union(["now"])
        switch scope {
        case .identifier: known.formUnion(["identifier", "identifier_name"])
        case .batch: known.formUnion(mixKinds || batchesSubjects ? [] : ["identifier_name"])
        case .subject: known.formUnion(identifiers.map(\.name))
        }
        let vendorPath = String(request.path.dropLast(".request".count))
        var uses: [(name: String, key: String)] = []
        uses += path.placeholders.map { ($0, request.qualified("url")) }
        uses += query.flatMap { $0.value.placeholders.map { ($0, request.qualified("url")) } }
        uses += headers.flatMap { header in
            header.value.placeholders.map { ($0, request.qualified("headers.\(header.name)")) }
        }
        uses += body?.placeholders(at: request.qualified("body")) ?? []
        // A user alias's own item may also name its label.
        var itemTemplates = identifiers.compactMap { identifier in
            identifier.item.map {
                ("\(vendorPath).identifiers.\(identifier.field).item", $0, identifier.field == .userAliases)
            }
        }
        if scope == .batch {
            if let item {
                itemTemplates.append((request.qualified("item"), item, false))
            } else if itemTemplates.count < identifiers.count {
                throw ConfigurationError(
                    key: request.qualified("item"),
                    message: "is required when per is batch: the template of one identifier in the batch"
                )
            }
            let slots = body?.placeholders(at: "").filter { $0.name == JSONTemplate.itemsSlot } ?? []
            guard slots.count == 1, contentType == .json, body?.holdsItemsAsAWholeValue == true else {
                throw ConfigurationError(
                    key: request.qualified("body"),
                    message: "must be JSON with one {items} slot when per is batch, standing alone as a value: it "
                        + "holds the batch's items"
                )
            }
        } else if item != nil || !itemTemplates.isEmpty {
            throw ConfigurationError(
                key: item != nil ? request.qualified("item") : "\(vendorPath).identifiers",
                message: "item applies only when per is batch"
            )
        }
        for (key, template, knowsAliasLabel) in itemTemplates {
            for use in template.placeholders(at: key) {
                guard
                    ["identifier", "identifier_name"].contains(use.name) || settings[use.name] != nil
                        || (use.name == SubjectField.aliasLabel && knowsAliasLabel)
                else {
                    throw ConfigurationError(
                        key: use.key,
                        message: "has an unknown placeholder {\(use.name)}; an item knows {identifier}, "
                            + "{identifier_name}, the vendor's settings and, in a user alias's own item, "
                            + "{alias_label}"
                    )
                }
            }
        }
        // A secret goes only where auth puts it: a URL is logged by proxies and a body may be echoed in an answer,
        // and auth is where `vendors render` and every output know to mask it.
        let itemUses = itemTemplates.flatMap { key, template, _ in template.placeholders(at: key) }
        if let use = (uses + itemUses).first(where: { secrets[$0.name] != nil }) {
            throw ConfigurationError(
                key: use.key,
                message: "names the secret {\(use.name)}: a secret goes only where request.auth puts it"
            )
        }
        for use in uses where use.name != JSONTemplate.itemsSlot || scope != .batch {
            guard known.contains(use.name) else {
                throw ConfigurationError(
                    key: use.key,
                    message: "has an unknown placeholder {\(use.name)}; known here: "
                        + known.sorted().map { "{\($0)}" }.joined(separator: ", ")
                )
            }
        }
        try validateEveryIdentifierIsSent(uses: uses, items: itemTemplates, vendorPath: vendorPath, request: request)
        try validateIdentifiersStandAlone(items: itemTemplates, request: request)
        if contentType == .form, let body {
            guard case .object(let members) = body,
                members.allSatisfy({ if case .text = $0.value { true } else { false } })
            else {
                throw ConfigurationError(
                    key: request.qualified("body"),
                    message: "must be a flat mapping of text values when content_type is form"
                )
            }
        }
        for (name, secret) in [auth].flatMap(\.references) {
            guard known.contains(secret) || settings[secret] != nil else {
                throw ConfigurationError(
                    key: request.qualified("auth.\(name)"),
                    message: "names \(secret), which is not a setting or secret of this vendor"
                )
            }
            guard secrets[secret] != nil || name == "basic.username" else {
                throw ConfigurationError(
                    key: request.qualified("auth.\(name)"),
                    message: "names \(secret), which must be under secrets, not settings"
                )
            }
        }
        if scope != .batch, mixKinds {
            throw ConfigurationError(key: request.qualified("mix_kinds"), message: "applies only when per is batch")
        }
        if scope != .batch, batchesSubjects {
            throw ConfigurationError(key: request.qualified("batch_by"), message: "applies only when per is batch")
        }
    }
}

extension HTTPVendorDefinition {
    /// A vendor's answer stands for the erasure of the identifiers its call carried. A template that leaves one out
    /// would have the vendor accept a call about nobody, and the request reported `completed`; so every identifier
    /// must reach the call, and a subject call must be addressable whichever of its identifiers a request holds.
    fileprivate func validateEveryIdentifierIsSent(
        uses: [(name: String, key: String)],
        items: [(key: String, template: JSONTemplate, knowsAliasLabel: Bool)],
        vendorPath: String,
        request: ConfigNode
    ) throws(ConfigurationError) {
        switch scope {
        case .identifier:
            guard uses.contains(where: { $0.name == "identifier" }) else {
                throw ConfigurationError(
                    key: request.path,
                    message: "never sends {identifier}: put it in request.url, request.headers or request.body"
                )
            }
        case .batch:
            for identifier in identifiers {
                let key =
                    identifier.item == nil
                    ? request.qualified("item") : "\(vendorPath).identifiers.\(identifier.field).item"
                guard let template = identifier.item ?? item,
                    template.placeholders(at: "").contains(where: { $0.name == "identifier" })
                else {
                    throw ConfigurationError(key: key, message: "never sends {identifier}: each item must carry it")
                }
            }
        case .subject:
            for identifier in identifiers where identifier.field.isList {
                throw ConfigurationError(
                    key: "\(vendorPath).identifiers.\(identifier.field)",
                    message: "is a list, and per: subject sends one value of each identifier: use per: identifier "
                        + "or per: batch, so that every value is erased"
                )
            }
            for identifier in identifiers where !uses.contains(where: { $0.name == identifier.name }) {
                throw ConfigurationError(
                    key: "\(vendorPath).identifiers.\(identifier.field)",
                    message: "is never sent: no template of request uses {\(identifier.name)}"
                )
            }
            let urlUses = (path.placeholders + query.flatMap(\.value.placeholders)).filter { name in
                identifiers.contains { $0.name == name }
            }
            if let addressed = urlUses.first, identifiers.count > 1 {
                throw ConfigurationError(
                    key: request.qualified("url"),
                    message: "names {\(addressed)}, but a request may hold another of this vendor's identifiers "
                        + "without it and could not be sent; use per: identifier, or declare \(addressed) alone"
                )
            }
        }
    }
}

extension HTTPVendorDefinition {
    /// The names that stand for an identifier in this definition's templates.
    fileprivate var identifierPlaceholders: Set<String> {
        scope == .subject ? Set(identifiers.map(\.name)) : ["identifier"]
    }

    /// An identifier stands alone: a whole path segment, query value, header value, JSON string or member name, or
    /// form field. That is where the lane's check of every call (``CallContents``) finds it; inside other text it
    /// could not be told from a longer identifier, and every call would be refused.
    fileprivate func validateIdentifiersStandAlone(
        items: [(key: String, template: JSONTemplate, knowsAliasLabel: Bool)],
        request: ConfigNode
    ) throws(ConfigurationError) {
        let names = identifierPlaceholders
        func refuse(_ name: String, _ key: String) -> ConfigurationError {
            ConfigurationError(
                key: key,
                message: "puts {\(name)} inside other text: an identifier must stand alone as a path segment, a "
                    + "query value, a header value, a JSON string or a form field, so that each call can be checked "
                    + "to carry it"
            )
        }
        for (index, part) in path.parts.enumerated() {
            guard case .placeholder(let name) = part, names.contains(name) else { continue }
            let before = index > 0 ? path.parts[index - 1] : nil
            let after = index + 1 < path.parts.count ? path.parts[index + 1] : nil
            guard case .literal(let head)? = before, head.hasSuffix("/") else {
                throw refuse(name, request.qualified("url"))
            }
            if case .placeholder? = after { throw refuse(name, request.qualified("url")) }
            if case .literal(let tail)? = after, !tail.hasPrefix("/") { throw refuse(name, request.qualified("url")) }
        }
        var texts: [(text: TemplateText, key: String)] = []
        for (name, value) in query {
            texts.append((value, request.qualified("url")))
            if let placeholder = names.first(where: { name.contains("{\($0)}") }) {
                throw refuse(placeholder, request.qualified("url"))
            }
        }
        texts += headers.map { ($0.value, request.qualified("headers.\($0.name)")) }
        texts += body?.texts(at: request.qualified("body")) ?? []
        for item in items { texts += item.template.texts(at: item.key) }
        for (text, key) in texts {
            if let name = text.placeholders.first(where: names.contains), text.soloPlaceholder != name {
                throw refuse(name, key)
            }
        }
    }
}

extension HTTPVendorDefinition.Auth {
    /// The settings this auth names, by the key that names each.
    var references: [(key: String, name: String)] {
        switch self {
        case .none: []
        case .bearer(let secret): [("bearer", secret)]
        case .basic(let username, let password): [("basic.username", username), ("basic.password", password)]
        case .header(_, let secret): [("header.secret", secret)]
        case .query(_, let secret): [("query.secret", secret)]
        }
    }
}

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

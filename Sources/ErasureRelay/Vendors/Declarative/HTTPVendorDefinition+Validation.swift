import NIOHTTP1
import Yams

extension HTTPVendorDefinition {
    /// Settings, secrets, identifiers and the built-in placeholders are one namespace: a template names a value by
    /// its name alone, so two values of one name would let an identifier the request lacks fall back to a fixed
    /// setting (erasing a user nobody asked about) or put a secret where an identifier belongs.
    func validateNamespace(_ node: ConfigNode) throws(ConfigurationError) {
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
    static func validateProof(
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
    func validatePlaceholders(request: ConfigNode) throws(ConfigurationError) {
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
            guard slots.count == 1, contentType.isJSON, body?.holdsItemsAsAWholeValue == true else {
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
        if let lookup {
            try validateLookUp(lookup, uses: uses, request: request)
            known.insert(Self.foundID)
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
    /// A look-up searches by the identifier and nothing secret, only for one identifier at a time, and the delete
    /// carries what it found: a look-up without the identifier would find every user, and a delete without the id
    /// found would be about nobody.
    private func validateLookUp(
        _ lookup: LookUp,
        uses: [(name: String, key: String)],
        request: ConfigNode
    ) throws(ConfigurationError) {
        let key = request.qualified("lookup")
        guard scope == .identifier else {
            throw ConfigurationError(key: key, message: "applies only when per is identifier")
        }
        let lookupUses = lookup.uses(at: key)
        let known = Set(settings.keys).union(["identifier", "identifier_name", "now"])
        for use in lookupUses {
            if secrets[use.name] != nil {
                throw ConfigurationError(
                    key: use.key,
                    message: "names the secret {\(use.name)}: a secret goes only where request.auth puts it"
                )
            }
            guard known.contains(use.name) else {
                throw ConfigurationError(
                    key: use.key,
                    message: "has an unknown placeholder {\(use.name)}; known here: "
                        + known.sorted().map { "{\($0)}" }.joined(separator: ", ")
                )
            }
        }
        guard lookupUses.contains(where: { $0.name == "identifier" }) else {
            throw ConfigurationError(
                key: key,
                message: "never sends {identifier}: a look-up without it would find every user"
            )
        }
        guard uses.contains(where: { $0.name == Self.foundID }) else {
            throw ConfigurationError(
                key: request.path,
                message: "never sends {found_id}: with request.lookup, the delete carries each id the look-up found"
            )
        }
    }

    func validateEveryIdentifierIsSent(
        uses: [(name: String, key: String)],
        items: [(key: String, template: JSONTemplate, knowsAliasLabel: Bool)],
        vendorPath: String,
        request: ConfigNode
    ) throws(ConfigurationError) {
        switch scope {
        case .identifier:
            guard lookup != nil || uses.contains(where: { $0.name == "identifier" }) else {
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
    var identifierPlaceholders: Set<String> {
        scope == .subject ? Set(identifiers.map(\.name)) : ["identifier"]
    }

    /// An identifier stands alone: a whole path segment, query value, header value, JSON string or member name, or
    /// form field. That is where the lane's check of every call (``CallContents``) finds it; inside other text it
    /// could not be told from a longer identifier, and every call would be refused.
    func validateIdentifiersStandAlone(
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

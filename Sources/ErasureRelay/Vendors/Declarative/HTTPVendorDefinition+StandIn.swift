import Foundation

/// A call as a stand-in for a declared vendor receives it, before any decoding.
public struct ReceivedVendorCall: Sendable {
    public var method: String
    /// The path as sent, still percent-encoded.
    public var rawPath: String
    public var rawQuery: String?
    /// Header values by lower-cased name.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, rawPath: String, rawQuery: String?, headers: [String: String], body: [UInt8]) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
    }
}

/// What a stand-in makes of a call: who made it, whether it has the definition's shape, and which identifiers it
/// carries where the definition puts them.
public enum StandInVerdict: Sendable, Equatable {
    /// The credentials are missing or wrong.
    case unauthorized(String)
    /// The call is not one the definition makes: wrong method, path, query, content type, body or size.
    case malformed(String)
    /// A well-formed call, deleting these identifiers: by the name the definition gives them, in order.
    case deletes([StandInDeletion])
}

public struct StandInDeletion: Sendable, Equatable {
    public var name: String
    public var values: [String]

    public init(name: String, values: [String]) {
        self.name = name
        self.values = values
    }
}

/// An answer a stand-in gives, shaped so that the definition's own rules read it as intended.
public struct StandInAnswer: Sendable, Equatable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    public static func == (lhs: StandInAnswer, rhs: StandInAnswer) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0)\($0.1)" }
                == rhs.headers.map {
                    "\($0.0)\($0.1)"
                }
    }
}

extension HTTPVendorDefinition {
    /// Reads `call` as a strict stand-in for this vendor would: the method, the path and query of `request.url`,
    /// the auth, the content type and the body's shape must all be the definition's, and a batch must keep within
    /// `maxItems` and `maxBytes`.
    public func check(_ call: ReceivedVendorCall, maxItems: Int, maxBytes: Int?) -> StandInVerdict {
        var matcher = CallMatcher(definition: self)
        if let refusal = matcher.checkAuth(call) { return .unauthorized(refusal) }
        guard call.method == method.rawValue else { return .malformed("method must be \(method.rawValue)") }
        guard matcher.matchPath(call.rawPath) else { return .malformed("path does not match request.url") }
        if let problem = matcher.matchQuery(call.rawQuery) { return .malformed(problem) }
        if let maxBytes, call.body.count > maxBytes { return .malformed("body over \(maxBytes) bytes") }
        if let body {
            let contentType = call.headers["content-type"]?.split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            switch contentType {
            case "application/json" where self.contentType == .json:
                guard let parsed = call.body.withUnsafeBufferPointer({ try? JSONValue.parse($0, maxDepth: 64) }),
                    matcher.match(body, parsed)
                else { return .malformed("body does not have the shape of request.body") }
            case "application/x-www-form-urlencoded" where self.contentType == .form:
                let fields = CallMatcher.formFields(String(decoding: call.body, as: UTF8.self))
                guard let fields, matcher.matchForm(body, fields) else {
                    return .malformed("form body does not have the fields of request.body")
                }
            default:
                return .malformed("content type must be \(self.contentType == .json ? "application/json" : "form")")
            }
        } else if !call.body.isEmpty {
            return .malformed("the call has no body")
        }
        // A batch of subjects counts requests, which the call does not show: its bytes are still checked.
        if scope == .batch, !batchesSubjects, matcher.items.count > maxItems {
            return .malformed("more than \(maxItems) identifiers in one call")
        }
        return matcher.deletions(scope: scope, mixKinds: mixKinds || batchesSubjects, identifiers: identifiers)
    }

    /// An answer this definition reads as an accepted erasure (`notFound`: as nothing to delete), carrying
    /// `reference` and the `deleted` count where the definition looks for them. Nil when no rule can be met by an
    /// answer built this way.
    public func answer(accepting notFound: Bool, reference: String, deleted: Int = 0) -> StandInAnswer? {
        let wanted: Set<AnswerClass> = notFound ? [.notFound] : [.accepted]
        for rule in rules where wanted.contains(rule.result) {
            var object: [String: JSONValue] = [:]
            if let path = rule.jsonPath {
                object =
                    Self.setting(path.steps[...], to: .string(rule.equals ?? "present"), in: .object(object))
                    .objectMembers
            }
            if let path = referencePath {
                object = Self.setting(path.steps[...], to: .string(reference), in: .object(object)).objectMembers
            }
            if let path = deletedCountPath {
                object = Self.setting(path.steps[...], to: .number(Double(deleted)), in: .object(object)).objectMembers
            }
            if let text = rule.bodyContains { object["detail"] = .string(text) }
            var headers: [(String, String)] = []
            if let header = rule.hasHeader { headers.append((header, "1")) }
            let status = rule.status?.lowerBound ?? 200
            // A 204 or 304 has no body in HTTP: one sent anyway would be read as the start of the next answer.
            let body =
                rule.bodyShape == .empty || status == 204 || status == 304 ? "" : JSONValue.object(object).jsonText
            let answer = StandInAnswer(status: status, headers: headers, body: body)
            let response = VendorResponse(status: status, headers: .init(headers), body: Array(body.utf8))
            let adapter = DeclaredVendorAdapter(
                vendor: VendorID(rawValue: "stand_in")!,
                definition: self,
                batching: .init(maxSize: 1),
                userAgent: ""
            )
            if case .accepted(_, _, let note) = adapter.classify(response), (note == VendorText.notFound) == notFound {
                return answer
            }
        }
        return nil
    }

    /// The answer to a call over the quota: a 429 with the wait where the definition reads it.
    public func rateLimitedAnswer(waitSeconds: Int, resetEpochSeconds: Int) -> StandInAnswer {
        var headers = [("Retry-After", "\(waitSeconds)")]
        for rule in rules where rule.result == .rateLimited && rule.status?.contains(429) != false {
            if rule.waitHeader.lowercased() != "retry-after" {
                headers.append(
                    (rule.waitHeader, rule.waitFormat == .epochSeconds ? "\(resetEpochSeconds)" : "\(waitSeconds)")
                )
            }
        }
        return StandInAnswer(status: 429, headers: headers, body: #"{"error":"rate limited"}"#)
    }

    private static func setting(
        _ steps: ArraySlice<JSONPath.Step>,
        to value: JSONValue,
        in json: JSONValue
    ) -> JSONValue {
        guard let step = steps.first else { return value }
        switch step {
        case .member(let name):
            var members = json.objectMembers
            members[name] = setting(steps.dropFirst(), to: value, in: members[name] ?? .object([:]))
            return .object(members)
        case .index(let index):
            var elements: [JSONValue] = []
            if case .array(let existing) = json { elements = existing }
            while elements.count <= index { elements.append(.null) }
            elements[index] = setting(steps.dropFirst(), to: value, in: elements[index])
            return .array(elements)
        }
    }
}

extension JSONValue {
    fileprivate var objectMembers: [String: JSONValue] {
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

/// Matches a received call against a definition's templates, collecting what the placeholders stand for.
private struct CallMatcher {
    let definition: HTTPVendorDefinition
    /// The values a call must carry as they are: settings and secrets.
    let constants: [String: String]
    let identifierNames: Set<String>
    /// Identifier values by placeholder, outside batch items.
    var captured: [(name: String, value: String)] = []
    /// A batch's items: each item's name and value.
    var items: [(name: String?, value: String)] = []

    init(definition: HTTPVendorDefinition) {
        self.definition = definition
        var constants = definition.settings
        for (name, secret) in definition.secrets { constants[name] = secret.value }
        self.constants = constants
        self.identifierNames = Set(definition.identifiers.map(\.name))
    }

    func checkAuth(_ call: ReceivedVendorCall) -> String? {
        let expected: (name: String, value: String)?
        switch definition.auth {
        case .none:
            expected = nil
        case .bearer(let secret):
            expected = ("authorization", "Bearer \(constants[secret] ?? "")")
        case .basic(let username, let password):
            expected = (
                "authorization",
                HTTPAuthorization.basic(user: constants[username] ?? "", password: constants[password] ?? "")
            )
        case .header(let name, let secret):
            expected = (name.lowercased(), constants[secret] ?? "")
        case .query(let name, let secret):
            let fields = Self.formFields(call.rawQuery ?? "") ?? []
            return fields.contains { $0 == (name, constants[secret] ?? "") } ? nil : "query key missing or wrong"
        }
        guard let expected else { return nil }
        return call.headers[expected.name] == expected.value ? nil : "\(expected.name) missing or wrong"
    }

    mutating func matchPath(_ rawPath: String) -> Bool {
        var segments: [[TemplateText.Part]] = [[]]
        for part in definition.path.parts {
            switch part {
            case .placeholder:
                segments[segments.count - 1].append(part)
            case .literal(let text):
                for (index, piece) in text.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
                    if index > 0 { segments.append([]) }
                    if !piece.isEmpty { segments[segments.count - 1].append(.literal(String(piece))) }
                }
            }
        }
        let received = rawPath.split(separator: "/", omittingEmptySubsequences: false)
        guard received.count == segments.count else { return false }
        for (template, segment) in zip(segments, received) {
            guard let pieces = Self.split(String(segment), by: template) else { return false }
            for (name, raw) in pieces {
                // The relay escapes every byte outside RFC 3986's unreserved set, dots included.
                guard raw.utf8.allSatisfy({ Self.isUnreservedOrPercent($0) }), let value = raw.removingPercentEncoding,
                    !value.isEmpty, accept(name, value)
                else { return false }
            }
        }
        return true
    }

    mutating func matchQuery(_ rawQuery: String?) -> String? {
        guard var fields = Self.formFields(rawQuery ?? "") else { return "query is not form-encoded" }
        if case .query(let name, _) = definition.auth { fields.removeAll { $0.name == name } }
        for (name, template) in definition.query {
            guard let index = fields.firstIndex(where: { $0.name == name }) else {
                return "query parameter \(name) is missing"
            }
            guard let pieces = Self.split(fields[index].value, by: template.parts) else {
                return "query parameter \(name) does not match"
            }
            for (placeholder, value) in pieces where !accept(placeholder, value) {
                return "query parameter \(name) does not match"
            }
            fields.remove(at: index)
        }
        return fields.isEmpty ? nil : "unexpected query parameter \(fields[0].name)"
    }

    mutating func match(_ template: JSONTemplate, _ value: JSONValue) -> Bool {
        switch template {
        case .literal(let json):
            let expected = Array(json.utf8).withUnsafeBufferPointer { try? JSONValue.parse($0) }
            return expected == value
        case .text(let text):
            if text.soloPlaceholder == JSONTemplate.itemsSlot, definition.scope == .batch {
                guard case .array(let elements) = value, !elements.isEmpty else { return false }
                return elements.allSatisfy { matchItem($0) }
            }
            guard case .string(let string) = value, let pieces = Self.split(string, by: text.parts) else {
                return false
            }
            return pieces.allSatisfy { accept($0.name, $0.value) }
        case .object(let members):
            guard case .object(var received) = value else { return false }
            for member in members {
                let key: String?
                if member.name.placeholders.isEmpty {
                    key = member.name.render([:]).flatMap { received[$0] == nil ? nil : $0 }
                } else {
                    // A key made of placeholders, as Braze's kind: the one received key the literal members leave.
                    let literalKeys = Set(
                        members.compactMap { $0.name.placeholders.isEmpty ? $0.name.render([:]) : nil }
                    )
                    let candidates = received.keys.filter { !literalKeys.contains($0) }
                    key = candidates.count == 1 ? candidates.first : nil
                    if let key, let pieces = Self.split(key, by: member.name.parts),
                        !pieces.allSatisfy({ accept($0.name, $0.value) })
                    {
                        return false
                    }
                }
                guard let key, let memberValue = received.removeValue(forKey: key) else {
                    if isOmittable(member.value) { continue }
                    return false
                }
                guard match(member.value, memberValue) else { return false }
            }
            return received.isEmpty
        case .array(let elements):
            guard case .array(let received) = value else { return false }
            var index = 0
            for element in elements {
                if index < received.count {
                    var attempt = self
                    if attempt.match(element, received[index]) {
                        self = attempt
                        index += 1
                        continue
                    }
                }
                guard isOmittable(element) else { return false }
            }
            return index == received.count
        }
    }

    /// Matches a form body: each template member one field, no field left over.
    mutating func matchForm(_ template: JSONTemplate, _ fields: [(name: String, value: String)]) -> Bool {
        guard case .object(let members) = template else { return false }
        var remaining = fields
        for member in members {
            guard let name = member.name.render(constants), case .text(let text) = member.value else { return false }
            guard let index = remaining.firstIndex(where: { $0.name == name }) else {
                if isOmittable(member.value) { continue }
                return false
            }
            guard let pieces = Self.split(remaining[index].value, by: text.parts),
                pieces.allSatisfy({ accept($0.name, $0.value) })
            else { return false }
            remaining.remove(at: index)
        }
        return remaining.isEmpty
    }

    /// One batch item: it must match one identifier's own item template, or `request.item`.
    private mutating func matchItem(_ value: JSONValue) -> Bool {
        var templates: [(name: String?, template: JSONTemplate)] = definition.identifiers.compactMap { identifier in
            identifier.item.map { (identifier.name, $0) }
        }
        if let item = definition.item { templates.append((nil, item)) }
        for (name, template) in templates {
            var attempt = CallMatcher(definition: definition)
            guard attempt.match(template, value),
                let identifier = attempt.captured.first(where: { $0.name == "identifier" })?.value
            else { continue }
            let itemName = name ?? attempt.captured.first { $0.name == "identifier_name" }?.value
            guard itemName.map(identifierNames.contains) ?? true else { continue }
            items.append((itemName, identifier))
            return true
        }
        return false
    }

    /// Takes a placeholder's value: a constant must be exact, `now` a time, an identifier anything not empty.
    private mutating func accept(_ name: String, _ value: String) -> Bool {
        if let constant = constants[name] { return value == constant }
        switch name {
        case "now":
            return Timestamp(rfc3339: value) != nil
        case SubjectField.aliasLabel:
            return !value.isEmpty
        case "identifier_name":
            guard identifierNames.contains(value) else { return false }
        default:
            guard name == "identifier" || identifierNames.contains(name) else { return false }
        }
        guard !value.isEmpty else { return false }
        captured.append((name, value))
        return true
    }

    /// Whether the request may lack what `template` carries: in a subject call, a member made of an identifier the
    /// request does not have is left out.
    private func isOmittable(_ template: JSONTemplate) -> Bool {
        definition.scope == .subject
            && template.placeholders(at: "").contains { identifierNames.contains($0.name) }
    }

    func deletions(
        scope: HTTPVendorDefinition.Scope,
        mixKinds: Bool,
        identifiers: [HTTPVendorDefinition.Identifier]
    ) -> StandInVerdict {
        let soleName = identifiers.count == 1 ? identifiers[0].name : nil
        switch scope {
        case .identifier:
            let values = captured.filter { $0.name == "identifier" }.map(\.value)
            let name = captured.first { $0.name == "identifier_name" }?.value ?? soleName ?? "identifier"
            guard Set(values).count == 1 else { return .malformed("the call must carry one identifier") }
            return .deletes([StandInDeletion(name: name, values: [values[0]])])
        case .batch:
            let bodyKind = captured.first { $0.name == "identifier_name" }?.value
            var names: [String] = []
            var byName: [String: [String]] = [:]
            let ownTemplates = Set(identifiers.filter { $0.item != nil }.map(\.name))
            for item in items {
                let name = item.name ?? bodyKind ?? soleName ?? "identifier"
                // An identifier with an item template of its own is never sent in the general one.
                if item.name == nil, ownTemplates.contains(name) {
                    return .malformed("an item of \(name) does not have its own template's shape")
                }
                if byName[name] == nil { names.append(name) }
                byName[name, default: []].append(item.value)
            }
            if !mixKinds {
                guard names.count == 1, bodyKind.map({ $0 == names[0] }) ?? true else {
                    return .malformed("one call mixes identifiers of several kinds")
                }
            }
            return .deletes(names.map { StandInDeletion(name: $0, values: byName[$0]!) })
        case .subject:
            let found = identifiers.compactMap { identifier in
                captured.first { $0.name == identifier.name }.map {
                    StandInDeletion(name: identifier.name, values: [$0.value])
                }
            }
            return found.isEmpty ? .malformed("the call carries no identifier") : .deletes(found)
        }
    }

    /// Splits `text` along the literal parts of a template: the placeholders' values, or nil when a literal part
    /// is not where the template puts it.
    static func split(_ text: String, by parts: [TemplateText.Part]) -> [(name: String, value: String)]? {
        var rest = Substring(text)
        var pieces: [(name: String, value: String)] = []
        var index = 0
        while index < parts.count {
            switch parts[index] {
            case .literal(let literal):
                guard rest.hasPrefix(literal) else { return nil }
                rest = rest.dropFirst(literal.count)
            case .placeholder(let name):
                if index + 1 < parts.count, case .literal(let next) = parts[index + 1] {
                    guard let end = rest.range(of: next) else { return nil }
                    pieces.append((name, String(rest[..<end.lowerBound])))
                    rest = rest[end.lowerBound...]
                } else {
                    pieces.append((name, String(rest)))
                    rest = ""
                }
            }
            index += 1
        }
        return rest.isEmpty ? pieces : nil
    }

    /// The fields of a form-encoded text, decoded; nil if one is not decodable.
    static func formFields(_ text: String) -> [(name: String, value: String)]? {
        var fields: [(name: String, value: String)] = []
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (raw: Substring) in raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { return nil }
            fields.append((name, value))
        }
        return fields
    }

    private static func isUnreservedOrPercent(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"),
            UInt8(ascii: "%"):
            true
        default:
            false
        }
    }
}

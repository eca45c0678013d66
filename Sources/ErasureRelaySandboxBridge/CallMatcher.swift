import ErasureRelay
import Foundation
import VendorSandbox

/// Matches a received call against a definition's templates, collecting what the placeholders stand for.
struct CallMatcher {
    let definition: HTTPVendorDefinition
    /// The values a call must carry as they are: settings and secrets.
    let constants: [String: String]
    let identifierNames: Set<String>
    /// Identifier values by placeholder, outside batch items.
    var captured: [(name: String, value: String)] = []
    /// A batch's items: each item's name and value.
    var items: [(name: String?, value: String)] = []

    /// Whether a bearer token is one the vendor's token endpoint issued and still honours.
    let acceptsToken: (String) -> Bool
    /// The call the matcher expects: the delete of `request`, or the look-up of `request.lookup`.
    let template: Template
    /// Whether `{found_id}` stands for an id a look-up found: in the delete of a definition with a look-up.
    let takesFoundID: Bool
    /// Whether `{job_id}` stands for a job's id: in the status call of a definition with a job.
    let takesJobID: Bool

    /// The parts of a call a template fixes.
    struct Template {
        var method: String
        var path: TemplateText
        var query: [(name: String, value: TemplateText)]
        var contentType: HTTPVendorDefinition.ContentType
        var body: JSONTemplate?
        /// Where the template is written, for what a refusal says.
        var key: String

        init(_ definition: HTTPVendorDefinition) {
            (method, path, query) = (definition.method.rawValue, definition.path, definition.query)
            (contentType, body, key) = (definition.contentType, definition.body, "request")
        }

        init(_ lookup: HTTPVendorDefinition.LookUp) {
            (method, path, query) = (lookup.method.rawValue, lookup.path, lookup.query)
            (contentType, body, key) = (lookup.contentType, lookup.body, "request.lookup")
        }

        init(_ job: HTTPVendorDefinition.Job, contentType: HTTPVendorDefinition.ContentType) {
            (method, path, query) = (job.method.rawValue, job.path, job.query)
            (self.contentType, body, key) = (contentType, nil, Self.jobKey)
        }

        static let jobKey = "job.status"
    }

    init(
        definition: HTTPVendorDefinition,
        template: Template? = nil,
        acceptsToken: @escaping (String) -> Bool = { _ in false }
    ) {
        self.definition = definition
        self.template = template ?? Template(definition)
        self.takesFoundID = definition.lookup != nil && template == nil
        self.takesJobID = template?.key == CallMatcher.Template.jobKey
        self.acceptsToken = acceptsToken
        var constants = definition.settings
        for (name, secret) in definition.secrets { constants[name] = secret.value }
        self.constants = constants
        self.identifierNames = Set(definition.identifiers.map(\.name))
    }

    /// Whether `call` has the template's method, path, query, size and body; what is wrong with it otherwise.
    mutating func matches(_ call: SandboxCall, maxBytes: Int?) -> String? {
        let method = template.method
        guard call.method == method else { return "method must be \(method)" }
        guard matchPath(call.rawPath) else { return "path does not match \(template.key).url" }
        if let problem = matchQuery(call.rawQuery) { return problem }
        if let maxBytes, call.body.count > maxBytes { return "body over \(maxBytes) bytes" }
        if let body = template.body {
            let contentType = call.headers["content-type"]?.split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            switch contentType {
            case template.contentType.mediaType where template.contentType.isJSON:
                guard let parsed = call.body.withUnsafeBufferPointer({ try? JSONValue.parse($0, maxDepth: 64) }),
                    match(body, parsed)
                else { return "body does not have the shape of \(template.key).body" }
            case template.contentType.mediaType:
                let fields = SandboxCall.formFields(String(decoding: call.body, as: UTF8.self))
                guard let fields, matchForm(body, fields) else {
                    return "form body does not have the fields of \(template.key).body"
                }
            default:
                return "content type must be \(template.contentType.mediaType)"
            }
        } else if !call.body.isEmpty {
            return "the call has no body"
        }
        return nil
    }

    func checkAuth(_ call: SandboxCall) -> String? {
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
        case .header(let name, let secret, let prefix):
            expected = (name.lowercased(), prefix + (constants[secret] ?? ""))
        case .query(let name, let secret):
            let fields = SandboxCall.formFields(call.rawQuery ?? "") ?? []
            return fields.contains { $0 == (name, constants[secret] ?? "") } ? nil : "query key missing or wrong"
        case .oauth2ClientCredentials, .oauth2JWTBearer:
            guard let header = call.headers["authorization"], header.hasPrefix("Bearer "),
                acceptsToken(String(header.dropFirst("Bearer ".count)))
            else { return "authorization missing, or not a token the vendor issued and still honours" }
            return nil
        }
        guard let expected else { return nil }
        return call.headers[expected.name] == expected.value ? nil : "\(expected.name) missing or wrong"
    }

    mutating func matchPath(_ rawPath: String) -> Bool {
        var segments: [[TemplateText.Part]] = [[]]
        for part in template.path.parts {
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
        guard var fields = SandboxCall.formFields(rawQuery ?? "") else { return "query is not form-encoded" }
        if case .query(let name, _) = definition.auth { fields.removeAll { $0.name == name } }
        for (name, template) in template.query {
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
        case HTTPVendorDefinition.foundID:
            guard takesFoundID else { return false }
        case HTTPVendorDefinition.jobID:
            guard takesJobID else { return false }
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
        case .identifier where takesFoundID:
            let ids = captured.filter { $0.name == HTTPVendorDefinition.foundID }.map(\.value)
            guard Set(ids).count == 1 else { return .malformed("the call must carry one id a look-up found") }
            return .deletes([StandInVerdict.Deletion(name: HTTPVendorDefinition.foundID, values: [ids[0]])])
        case .identifier:
            let values = captured.filter { $0.name == "identifier" }.map(\.value)
            let name = captured.first { $0.name == "identifier_name" }?.value ?? soleName ?? "identifier"
            guard Set(values).count == 1 else { return .malformed("the call must carry one identifier") }
            return .deletes([StandInVerdict.Deletion(name: name, values: [values[0]])])
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
            return .deletes(names.map { StandInVerdict.Deletion(name: $0, values: byName[$0]!) })
        case .subject:
            let found = identifiers.compactMap { identifier in
                captured.first { $0.name == identifier.name }.map {
                    StandInVerdict.Deletion(name: identifier.name, values: [$0.value])
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

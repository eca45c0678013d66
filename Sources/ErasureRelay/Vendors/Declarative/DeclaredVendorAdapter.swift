import Crypto
import Foundation
import NIOHTTP1

/// Calls a vendor as its ``HTTPVendorDefinition`` says.
///
/// An item's payload is what its call needs from the request: for a batch, the item's rendered JSON; otherwise the
/// placeholder values as a JSON object, read back when the call is made.
public struct DeclaredVendorAdapter: VendorAdapter {
    public let vendor: VendorID
    public let maxItemsPerCall: Int
    public let maxBodyBytes: Int?
    let definition: HTTPVendorDefinition
    private let userAgent: String

    public init(
        vendor: VendorID,
        definition: HTTPVendorDefinition,
        batching: VendorSettings.Batching,
        userAgent: String
    ) {
        self.vendor = vendor
        self.definition = definition
        self.maxItemsPerCall = definition.scope == .batch ? max(1, batching.maxSize) : 1
        self.maxBodyBytes = definition.scope == .batch ? batching.maxBytes : nil
        self.userAgent = userAgent
    }

    public func items(for request: ErasureRequest) -> [VendorItem] {
        switch definition.scope {
        case .batch where definition.batchesSubjects:
            let items = identifierItems(for: request)
            guard !items.isEmpty else { return [] }
            return [
                VendorItem(
                    kind: "subjects",
                    payload: Array(items.map(\.payload).joined(separator: [UInt8(ascii: ",")])),
                    values: items.flatMap(\.values),
                    carried: items.flatMap(\.carried),
                    identifierCount: items.count
                )
            ]
        case .identifier, .batch:
            return identifierItems(for: request)
        case .subject:
            // A list field is refused under per: subject (it would need a call per value), so each field holds one
            // value at most here; the lane's check would fail the request rather than send a value short.
            var values: [String: String] = [:]
            var originals: [String] = []
            var carried: [String] = []
            for identifier in definition.identifiers {
                for value in identifier.field.values(in: request.subject) {
                    let sent = Self.prepared(value, for: identifier)
                    if values[identifier.name] == nil { values[identifier.name] = sent }
                    originals += Self.scrubbed(value, sent)
                    carried.append(sent)
                }
            }
            // Every identifier the URL names must be there: a call cannot be addressed without it.
            let urlPlaceholders = definition.path.placeholders + definition.query.flatMap(\.value.placeholders)
            let names = Set(definition.identifiers.map(\.name))
            guard !values.isEmpty, urlPlaceholders.allSatisfy({ !names.contains($0) || values[$0] != nil }) else {
                return []
            }
            return [
                VendorItem(
                    kind: "subject",
                    payload: Self.encode(values),
                    values: originals,
                    carried: carried,
                    identifierCount: carried.count
                )
            ]
        }
    }

    /// One item per identifier the request carries for this vendor: for a batch, its rendered item; otherwise its
    /// placeholder values.
    private func identifierItems(for request: ErasureRequest) -> [VendorItem] {
        definition.identifiers.flatMap { identifier in
            identifier.field.entries(in: request.subject).map { value, companions in
                let sent = Self.prepared(value, for: identifier)
                let values = companions.merging(["identifier": sent, "identifier_name": identifier.name]) { $1 }
                var payload: [UInt8] = []
                if definition.scope == .batch, let item = identifier.item ?? definition.item {
                    item.render(values.merging(definition.settings) { identifier, _ in identifier }, into: &payload)
                } else {
                    payload = Self.encode(values)
                }
                return VendorItem(
                    kind: definition.mixKinds ? "identifiers" : identifier.name,
                    payload: payload,
                    values: Self.scrubbed(value, sent),
                    carried: [sent],
                    identifierCount: 1
                )
            }
        }
    }

    /// With `auth.oauth2_client_credentials`, a transport that fetches the lane's token and sends every call with
    /// it; otherwise `transport`, since the credential is in the call already.
    public func authorizing(_ transport: any VendorTransport) -> any VendorTransport {
        guard let grant = definition.auth.grant else { return transport }
        return OAuth2Transport(
            base: transport,
            tokens: OAuth2TokenSource(grant: grant, secrets: definition.secrets, transport: transport)
        )
    }

    public func call(for items: [VendorItem], now: Timestamp) -> VendorCall {
        // Secrets are for auth alone: the templates see the settings, never a secret.
        var credentials = definition.settings
        for (name, secret) in definition.secrets { credentials[name] = secret.value }
        var values = definition.settings
        values["now"] = now.rfc3339Seconds
        if let job = definition.job, let first = items.first, first.kind == HTTPVendorDefinition.jobID {
            // A status call names a job and nothing of the request.
            return render(
                (job.method, job.path, job.query, definition.contentType, nil),
                values: values.merging(Self.decode(first.payload)) { $1 },
                credentials: credentials,
                itemsJSON: nil
            )
        }
        var itemsJSON: [UInt8]?
        if definition.scope == .batch {
            itemsJSON = JSONText.array(of: items, between: "[", and: "]")
            // Kinds never mix unless the definition lets them, so the batch's kind is its identifiers' name.
            if !definition.mixKinds, let kind = items.first?.kind { values["identifier_name"] = kind }
        } else if let first = items.first {
            // An identifier the request lacks has no value, whatever else is named alike: a template never falls
            // back from an identifier to a setting or a secret.
            for identifier in definition.identifiers { values[identifier.name] = nil }
            values.merge(Self.decode(first.payload)) { $1 }
        }
        // An identifier is looked up first, where the definition says so; what it finds is deleted.
        if let lookup = definition.lookup, items.first?.kind != HTTPVendorDefinition.foundID {
            return render(
                (lookup.method, lookup.path, lookup.query, lookup.contentType, lookup.body),
                values: values,
                credentials: credentials,
                itemsJSON: nil
            )
        }
        return render(
            (definition.method, definition.path, definition.query, definition.contentType, definition.body),
            values: values,
            credentials: credentials,
            itemsJSON: itemsJSON
        )
    }

    /// The call a request template makes with `values`, its credentials added as `request.auth` says.
    private func render(
        _ template: (
            method: HTTPMethod, path: TemplateText, query: [(name: String, value: TemplateText)],
            contentType: HTTPVendorDefinition.ContentType, body: JSONTemplate?
        ),
        values: [String: String],
        credentials: [String: String],
        itemsJSON: [UInt8]?
    ) -> VendorCall {
        var pathAndQuery = template.path.render(values) { PercentEncoding.pathSegment($0.utf8) } ?? ""
        var query = template.query.compactMap { name, value in
            value.render(values, encode: PercentEncoding.formField).map { "\(PercentEncoding.formField(name))=\($0)" }
        }
        var headers: [(String, String)] = []
        switch definition.auth {
        case .none, .oauth2ClientCredentials, .oauth2JWTBearer:
            // A token is added by the lane's transport, which fetches it (``authorizing(_:)``).
            break
        case .bearer(let secret):
            headers.append(("Authorization", "Bearer \(credentials[secret] ?? "")"))
        case .basic(let username, let password):
            headers.append(
                (
                    "Authorization",
                    HTTPAuthorization.basic(
                        user: credentials[username] ?? "",
                        password: credentials[password] ?? ""
                    )
                )
            )
        case .header(let name, let secret, let prefix):
            headers.append((name, prefix + (credentials[secret] ?? "")))
        case .query(let name, let secret):
            query.append("\(PercentEncoding.formField(name))=\(PercentEncoding.formField(credentials[secret] ?? ""))")
        }
        if !query.isEmpty { pathAndQuery += "?" + query.joined(separator: "&") }
        for (name, value) in definition.headers {
            if let rendered = value.render(values) { headers.append((name, rendered)) }
        }
        var body: [UInt8]?
        if let bodyTemplate = template.body {
            if template.contentType.isJSON {
                var bytes: [UInt8] = []
                bodyTemplate.render(values, items: itemsJSON, into: &bytes)
                body = bytes
            } else {
                body = Array(FormEncoding.body(bodyTemplate, values: values).utf8)
            }
            headers.append(("Content-Type", template.contentType.mediaType))
        }
        headers.append(("User-Agent", userAgent))
        return VendorCall(method: template.method, pathAndQuery: pathAndQuery, headers: headers, body: body)
    }

    /// A look-up's answer: a success must hold the list of matches where `lookup.matches` says, each with a usable id
    /// where `lookup.id` says, or the identifier fails; a refusal reads as any answer does, and only the vendor's
    /// own "no such user" counts as no match.
    public func lookedUp(_ response: VendorResponse, for item: VendorItem) -> LookUpResult? {
        guard let lookup = definition.lookup, item.kind != HTTPVendorDefinition.foundID else { return nil }
        guard (200...299).contains(response.status) else {
            switch classify(response) {
            case .accepted(_, _, let note) where note == VendorText.notFound:
                return .matches([])
            case .accepted:
                return .answered(
                    .rejected(reason: "look-up answered HTTP \(response.status)", isolateItems: false)
                )
            case let other:
                return .answered(other)
            }
        }
        let json = response.body.withUnsafeBufferPointer { try? JSONValue.parse($0, maxDepth: 64) }
        guard let json, case .array(let matches)? = lookup.matches.value(in: json) else {
            return .answered(
                .rejected(reason: "look-up answer holds no list of matches at \(lookup.matches)", isolateItems: false)
            )
        }
        var ids: [String] = []
        var seen: Set<String> = []
        for match in matches {
            guard let value = lookup.id.value(in: match), let id = Self.foundID(value) else {
                return .answered(
                    .rejected(reason: "a look-up match holds no usable id at \(lookup.id)", isolateItems: false)
                )
            }
            if seen.insert(id).inserted { ids.append(id) }
        }
        guard ids.count <= lookup.maxMatches else { return .tooMany(found: ids.count, limit: lookup.maxMatches) }
        let values = Self.decode(item.payload)
        return .matches(
            ids.map { id in
                VendorItem(
                    kind: HTTPVendorDefinition.foundID,
                    payload: Self.encode(values.merging([HTTPVendorDefinition.foundID: id]) { $1 }),
                    // The id found is the user's too: scrubbed from answers like the identifier it was found by.
                    values: item.values + [id],
                    carried: [id],
                    identifierCount: 0
                )
            }
        )
    }

    /// An id as a look-up may find it: text or a whole number, printable, of reasonable length.
    private static func foundID(_ value: JSONValue) -> String? {
        let id: String
        switch value {
        case .string(let text): id = text
        case .number(let number) where number == number.rounded() && abs(number) < 1e15: id = String(Int64(number))
        default: return nil
        }
        guard !id.isEmpty, id.utf8.count <= HTTPVendorDefinition.maxFoundIDBytes,
            !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return id
    }

    public func classify(_ response: VendorResponse) -> CallResult {
        let json = response.body.withUnsafeBufferPointer { try? JSONValue.parse($0, maxDepth: 64) }
        let text = String(decoding: response.body.prefix(VendorText.maxScannedLength), as: UTF8.self)
        // A throttled or failing vendor is always worth another try: for 429 and 5xx, rules only tell how long to
        // wait. However a rule is written, such an answer is never proof of an erasure, nor a reason to give up.
        let transient = RetryHints.transient(response)
        for (index, rule) in definition.rules.enumerated() where Self.matches(rule, response, json: json, body: text) {
            if transient != nil, rule.result != .retriable, rule.result != .rateLimited { continue }
            return result(rule.result, rule: rule, response, json: json, reason: "answers.rules[\(index)]")
        }
        if let transient { return transient }
        return result(definition.defaultResult, rule: nil, response, json: json, reason: "answers.default")
    }

    private func result(
        _ answer: HTTPVendorDefinition.AnswerClass,
        rule: HTTPVendorDefinition.AnswerRule?,
        _ response: VendorResponse,
        json: JSONValue?,
        reason matched: String
    ) -> CallResult {
        let reason = "HTTP \(response.status), \(matched) \(answer.rawValue)"
        switch answer {
        case .accepted, .notFound:
            var reference: String?
            if let path = definition.referencePath, let json, let value = path.value(in: json) {
                reference = Self.text(of: value)
            }
            var deleted: Int?
            if let path = definition.deletedCountPath, let json, case .number(let count)? = path.value(in: json),
                count == count.rounded(), abs(count) < 1e15
            {
                deleted = Int(count)
            }
            return .accepted(
                reference: reference,
                deleted: deleted,
                note: answer == .notFound ? VendorText.notFound : rule?.note
            )
        case .retriable:
            return .retriable(reason: reason, retryAfter: RetryHints.retryAfter(response.headers))
        case .rateLimited:
            let header = rule?.waitHeader ?? "Retry-After"
            let wait =
                switch rule?.waitFormat ?? .seconds {
                case .seconds: RetryHints.retryAfter(response.headers, name: header)
                case .epochSeconds: RetryHints.resetAt(response.headers, name: header)
                }
            return .retriable(reason: reason, retryAfter: wait)
        case .permanent:
            return .rejected(reason: reason, isolateItems: definition.scope == .batch && (rule?.splitBatch ?? true))
        }
    }

    private static func matches(
        _ rule: HTTPVendorDefinition.AnswerRule,
        _ response: VendorResponse,
        json: JSONValue?,
        body: String
    ) -> Bool {
        if let status = rule.status, !status.contains(response.status) { return false }
        if let path = rule.jsonPath {
            guard let json, let value = path.value(in: json) else { return false }
            if let expected = rule.equals, text(of: value) != expected { return false }
        }
        if let needle = rule.bodyContains, !body.contains(needle) { return false }
        if let header = rule.hasHeader, !response.headers.contains(name: header) { return false }
        switch rule.bodyShape {
        case .json?: if json == nil { return false }
        case .empty?:
            if !response.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return false }
        case nil: break
        }
        return true
    }

    /// A JSON value as a rule compares it: a string as itself, anything else as its JSON text.
    static func text(of value: JSONValue) -> String? {
        switch value {
        case .string(let string): string
        case .number(let number):
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let bool): String(bool)
        case .null: "null"
        case .array, .object: nil
        }
    }

    /// The value as the vendor takes it: normalised, then hashed.
    static func prepared(_ value: String, for identifier: HTTPVendorDefinition.Identifier) -> String {
        var result = value
        for step in identifier.normalization {
            switch step {
            case .trim: result = result.trimmingCharacters(in: .whitespacesAndNewlines)
            case .lowercase: result = result.lowercased()
            }
        }
        switch identifier.hash {
        case .sha256?:
            return RecordSigner.lowerHex(SHA256.hash(data: Array(result.utf8)))
        case nil:
            return result
        }
    }

    /// What answers are scrubbed of: the value as given and as sent, since a hash of an identifier is personal data
    /// too.
    private static func scrubbed(_ value: String, _ sent: String) -> [String] {
        value == sent ? [value] : [value, sent]
    }

    static func encode(_ values: [String: String]) -> [UInt8] {
        var json = "{"
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { json += "," }
            json += JSONText.quoted(key) + ":" + JSONText.quoted(values[key]!)
        }
        return Array((json + "}").utf8)
    }

    static func decode(_ payload: [UInt8]) -> [String: String] {
        guard case .object(let members)? = payload.withUnsafeBufferPointer({ try? JSONValue.parse($0) }) else {
            return [:]
        }
        return members.compactMapValues { if case .string(let text) = $0 { text } else { nil } }
    }
}

import ErasureRelay
import Foundation
import VendorSandbox

extension HTTPVendorDefinition {
    /// Reads `call` as a strict stand-in for this vendor would: the method, the path and query of `request.url`,
    /// the auth, the content type and the body's shape must all be the definition's, and a batch must keep within
    /// `maxItems` and `maxBytes`.
    /// - Parameters:
    ///   - call: the call as received.
    ///   - maxItems: the most identifiers a batch may carry.
    ///   - maxBytes: the largest body, if the vendor limits it.
    ///   - acceptsToken: for an OAuth 2.0 vendor, whether a bearer token is one its token endpoint issued and
    ///     still honours.
    public func check(
        _ call: SandboxCall,
        maxItems: Int,
        maxBytes: Int?,
        acceptsToken: @escaping (String) -> Bool = { _ in false }
    ) -> StandInVerdict {
        if let refusal = CallMatcher(definition: self, acceptsToken: acceptsToken).checkAuth(call) {
            return .unauthorized(refusal)
        }
        // A call that has the shape of a look-up or a status call is one; any other must have the delete's.
        if let job {
            var matcher = CallMatcher(definition: self, template: CallMatcher.Template(job, contentType: contentType))
            if matcher.matches(call, maxBytes: maxBytes) == nil,
                let id = matcher.captured.first(where: { $0.name == HTTPVendorDefinition.jobID })?.value
            {
                return .checksJob(id: id)
            }
        }
        if let lookup {
            var matcher = CallMatcher(definition: self, template: CallMatcher.Template(lookup))
            if matcher.matches(call, maxBytes: maxBytes) == nil,
                let identifier = matcher.captured.first(where: { $0.name == "identifier" })?.value
            {
                return .looksUp(identifier: identifier)
            }
        }
        var matcher = CallMatcher(definition: self, acceptsToken: acceptsToken)
        if let problem = matcher.matches(call, maxBytes: maxBytes) { return .malformed(problem) }
        // A batch of subjects counts requests, which the call does not show: its bytes are still checked.
        if scope == .batch, !batchesSubjects, matcher.items.count > maxItems {
            return .malformed("more than \(maxItems) identifiers in one call")
        }
        return matcher.deletions(scope: scope, mixKinds: mixKinds || batchesSubjects, identifiers: identifiers)
    }

    /// An answer this definition reads as an accepted erasure (`notFound`: as nothing to delete), carrying
    /// `reference` and the `deleted` count where the definition looks for them. Nil when no rule can be met by an
    /// answer built this way.
    public func answer(accepting notFound: Bool, reference: String, deleted: Int = 0) -> SandboxAnswer? {
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
            let answer = SandboxAnswer(status: status, body: body, headers: headers)
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
    public func rateLimitedAnswer(waitSeconds: Int, resetEpochSeconds: Int) -> SandboxAnswer {
        var headers = [("Retry-After", "\(waitSeconds)")]
        for rule in rules where rule.result == .rateLimited && rule.status?.contains(429) != false {
            if rule.waitHeader.lowercased() != "retry-after" {
                headers.append(
                    (rule.waitHeader, rule.waitFormat == .epochSeconds ? "\(resetEpochSeconds)" : "\(waitSeconds)")
                )
            }
        }
        return SandboxAnswer(status: 429, body: #"{"error":"rate limited"}"#, headers: headers)
    }

    static func setting(
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

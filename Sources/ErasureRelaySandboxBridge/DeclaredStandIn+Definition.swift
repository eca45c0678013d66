import ErasureRelay
import Foundation
import Synchronization
import VendorSandbox

extension DeclaredStandIn {
    /// A stand-in for a vendor declared in configuration, built from its definition: it checks method, path, auth,
    /// content type and body shape, records the identifiers where the definition puts them, meters the configured
    /// quota, and answers so that the definition's own rules read the answer as intended. Nil for a built-in vendor.
    /// An OAuth 2.0 vendor's stand-in also serves its token endpoint, on the token URL's path, and honours only the
    /// tokens it issued, for `tokenLifetimeSeconds`.
    /// - Parameters:
    ///   - vendor: the vendor's name in the configuration.
    ///   - settings: the vendor's settings, whose account is its definition.
    ///   - unknownUserPrefix: identifiers starting with it are users the vendor does not hold, answered as
    ///     `not_found` when the definition has such a rule.
    ///   - port: the port to listen on; 0 picks a free one.
    ///   - latencyMilliseconds: how long each answer takes.
    ///   - tokenLifetimeSeconds: how long an issued token is honoured.
    ///   - advertisedTokenLifetimeSeconds: the `expires_in` a token is issued with, by default its lifetime; a longer
    ///     one makes a vendor that revokes tokens early.
    public init?(
        vendor: VendorID,
        settings: VendorSettings,
        unknownUserPrefix: String = SandboxConfiguration().unknownUserPrefix,
        port: Int = 0,
        latencyMilliseconds: Int = 0,
        tokenLifetimeSeconds: Int = 3600,
        advertisedTokenLifetimeSeconds: Int? = nil
    ) {
        guard let definition = settings.account as? HTTPVendorDefinition else { return nil }
        let maxItems = definition.scope == .batch ? settings.batching.maxSize : 1
        let maxBytes = settings.batching.maxBytes
        let references = Mutex(0)
        let jobs = SandboxJobs(prefix: "sandbox-")
        let nextReference: @Sendable ([StandInVerdict.Deletion]) -> String = { deletions in
            // A job vendor's reference is its job, which runs as the identifiers it erases say.
            if definition.job != nil { return jobs.create(erasing: deletions.flatMap(\.values)) }
            let number = references.withLock { count in
                count += 1
                return count
            }
            return "sandbox-\(number)"
        }
        // The ids look-ups have found: a delete of any other is refused, as the vendor would not know it.
        let foundIDs = Mutex<Set<String>>([])
        let tokens = Mutex<(issued: Int, expiries: [String: ContinuousClock.Instant])>((0, [:]))
        let acceptsToken: @Sendable (String) -> Bool = { token in
            tokens.withLock { $0.expiries[token].map { $0 > .now } ?? false }
        }
        self.init(
            name: vendor.rawValue,
            port: port,
            quota: .init(
                requests: settings.rateLimit.requests,
                windowSeconds: Double(settings.rateLimit.windowSeconds)
            ),
            latencyMilliseconds: latencyMilliseconds,
            otherQuotas: settings.rateLimits.dropFirst().map {
                .init(requests: $0.requests, windowSeconds: Double($0.windowSeconds))
            },
            answer: { call in
                switch definition.check(call, maxItems: maxItems, maxBytes: maxBytes, acceptsToken: acceptsToken) {
                case .unauthorized(let reason):
                    return SandboxAnswer(status: 401, body: Self.error(reason))
                case .malformed(let reason):
                    return SandboxAnswer(status: 400, body: Self.error(reason))
                case .looksUp(let identifier):
                    guard let lookup = definition.lookup else { return SandboxAnswer(status: 404, body: "{}") }
                    let count = SandboxConfiguration.lookUpMatchCount(
                        of: identifier,
                        unknownUserPrefix: unknownUserPrefix
                    )
                    let ids = HTTPVendorDefinition.LookUp.standInIDs(of: identifier, count: count)
                    foundIDs.withLock { $0.formUnion(ids) }
                    var answer = lookup.standInAnswer(ids: ids)
                    answer.unknownUser = ids.isEmpty
                    answer.isLookUp = true
                    return answer
                case .deletes(let deletions) where definition.lookup != nil:
                    let unknown = deletions.flatMap(\.values).filter { id in !foundIDs.withLock { $0.contains(id) } }
                    guard unknown.isEmpty else {
                        return SandboxAnswer(status: 404, body: Self.error("no contact with the id given"))
                    }
                    return Self.accepted(deletions, definition: definition, reference: nextReference(deletions))
                case .checksJob(let id):
                    guard let job = definition.job else { return SandboxAnswer(status: 404, body: "{}") }
                    let state = jobs.check(id).map { stage in
                        switch stage {
                        case .running: job.running.sorted().first ?? "sandbox-running"
                        case .done: job.done.sorted()[0]
                        case .failed: job.failed.sorted().first ?? "sandbox-failed"
                        }
                    }
                    var answer =
                        state.map {
                            SandboxAnswer(
                                status: 200,
                                body: HTTPVendorDefinition.setting(
                                    job.state.steps[...],
                                    to: .string($0),
                                    in: .object([:])
                                )
                                .jsonText
                            )
                        } ?? SandboxAnswer(status: 404, body: Self.error("no job with the id given"))
                    answer.isJobCheck = true
                    return answer
                case .deletes(let deletions):
                    let values = deletions.flatMap(\.values)
                    if values.allSatisfy({ $0.hasPrefix(unknownUserPrefix) }),
                        var answer = definition.answer(accepting: true, reference: "sandbox-not-found")
                    {
                        answer.unknownUser = true
                        return answer
                    }
                    return Self.accepted(deletions, definition: definition, reference: nextReference(deletions))
                }
            },
            tooManyRequests: { retryAfter, resetAt in
                definition.rateLimitedAnswer(waitSeconds: retryAfter, resetEpochSeconds: resetAt)
            },
            tokenEndpoint: { call in
                let issue = {
                    tokens.withLock { tokens in
                        tokens.issued += 1
                        let token = "sandbox-token-\(tokens.issued)"
                        tokens.expiries[token] = ContinuousClock.now.advanced(by: .seconds(tokenLifetimeSeconds))
                        return (token: token, lifetimeSeconds: advertisedTokenLifetimeSeconds ?? tokenLifetimeSeconds)
                    }
                }
                switch definition.auth {
                case .oauth2ClientCredentials(let grant):
                    return grant.standInAnswer(to: call, secrets: definition.secrets, issue: issue)
                case .oauth2JWTBearer(let grant):
                    return grant.standInAnswer(to: call, secrets: definition.secrets, now: .now(), issue: issue)
                case .none, .bearer, .basic, .header, .query:
                    return nil
                }
            }
        )
    }

    /// The answer the definition reads as an accepted erasure of `deletions`, under `reference`.
    private static func accepted(
        _ deletions: [StandInVerdict.Deletion],
        definition: HTTPVendorDefinition,
        reference: String
    ) -> SandboxAnswer {
        let values = deletions.flatMap(\.values)
        guard var answer = definition.answer(accepting: false, reference: reference, deleted: values.count)
        else {
            return SandboxAnswer(status: 500, body: error("no rule of the definition can be met by a stand-in"))
        }
        answer.deletions = deletions.map { ($0.name, $0.values) }
        answer.batchSize = values.count
        return answer
    }

    private static func error(_ reason: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: ["error": reason])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

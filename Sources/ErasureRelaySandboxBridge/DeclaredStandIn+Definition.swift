import ErasureRelay
import Foundation
import Synchronization
import VendorSandbox

extension DeclaredStandIn {
    /// A stand-in for a vendor declared in configuration, built from its definition: it checks method, path, auth,
    /// content type and body shape, records the identifiers where the definition puts them, meters the configured
    /// quota, and answers so that the definition's own rules read the answer as intended. Nil for a built-in vendor.
    /// - Parameter unknownUserPrefix: identifiers starting with it are users the vendor does not hold, answered as
    ///   `not_found` when the definition has such a rule.
    public init?(
        vendor: VendorID,
        settings: VendorSettings,
        unknownUserPrefix: String = SandboxConfiguration().unknownUserPrefix,
        port: Int = 0,
        latencyMilliseconds: Int = 0
    ) {
        guard let definition = settings.account as? HTTPVendorDefinition else { return nil }
        let maxItems = definition.scope == .batch ? settings.batching.maxSize : 1
        let maxBytes = settings.batching.maxBytes
        let references = Mutex(0)
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
                switch definition.check(call, maxItems: maxItems, maxBytes: maxBytes) {
                case .unauthorized(let reason):
                    return SandboxAnswer(status: 401, body: Self.error(reason))
                case .malformed(let reason):
                    return SandboxAnswer(status: 400, body: Self.error(reason))
                case .deletes(let deletions):
                    let values = deletions.flatMap(\.values)
                    if values.allSatisfy({ $0.hasPrefix(unknownUserPrefix) }),
                        var answer = definition.answer(accepting: true, reference: "sandbox-not-found")
                    {
                        answer.unknownUser = true
                        return answer
                    }
                    let number = references.withLock { count in
                        count += 1
                        return count
                    }
                    guard
                        var answer = definition.answer(
                            accepting: false,
                            reference: "sandbox-\(number)",
                            deleted: values.count
                        )
                    else {
                        return SandboxAnswer(
                            status: 500,
                            body: Self.error("no rule of the definition can be met by a stand-in")
                        )
                    }
                    answer.deletions = deletions.map { ($0.name, $0.values) }
                    answer.batchSize = values.count
                    return answer
                }
            },
            tooManyRequests: { retryAfter, resetAt in
                definition.rateLimitedAnswer(waitSeconds: retryAfter, resetEpochSeconds: resetAt)
            }
        )
    }

    private static func error(_ reason: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: ["error": reason])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

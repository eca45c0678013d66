import Dispatch
import Logging
import Synchronization

/// A topic's configuration as the cluster describes it (`retention.ms`, `cleanup.policy` and the like, defaults
/// included), asked by a client of its own.
public enum TopicConfiguration {
    /// Describes `topic`.
    ///
    /// The question runs on a thread of its own with a client of its own, and cancelling the task returns at once
    /// with `CancellationError`: a cluster that cannot describe configurations (librdkafka's mock cluster has no
    /// DescribeConfigs) lets the question run to its timeout, which must hold up neither the service's clients nor
    /// its shutdown. The thread then finishes and destroys its client on its own.
    /// - Parameters:
    ///   - topic: the topic.
    ///   - configuration: the cluster and client properties.
    ///   - timeout: how long the cluster has to answer.
    ///   - logger: for the client's own log lines.
    public static func describe(
        _ topic: String,
        configuration: KafkaClientConfiguration,
        timeout: Duration = .seconds(10),
        logger: Logger
    ) async throws -> [String: String] {
        let properties = configuration.merged(defaults: [:], required: [:])
        let answer = Answer()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                answer.waiting(continuation)
                DispatchQueue.global().async {
                    answer.give(
                        Result { () throws(KafkaError) -> [String: String] in
                            let client = try RDKafkaClient(
                                kind: .producer,
                                properties: properties,
                                context: ClientContext(logger: logger)
                            )
                            defer { client.destroy() }
                            return try client.topicConfiguration(
                                topic: topic,
                                milliseconds: timeout.clampedMilliseconds
                            )
                        }.mapError { $0 as any Error }
                    )
                }
            }
        } onCancel: {
            answer.give(.failure(CancellationError()))
        }
    }

    /// Hands the first of the thread's answer and a cancellation to the waiting task, once.
    private final class Answer: Sendable {
        private let state = Mutex<
            (CheckedContinuation<[String: String], any Error>?, Result<[String: String], any Error>?)
        >((nil, nil))

        func waiting(_ continuation: CheckedContinuation<[String: String], any Error>) {
            let early = state.withLock { state -> Result<[String: String], any Error>? in
                if let result = state.1 { return result }
                state.0 = continuation
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        func give(_ result: Result<[String: String], any Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<[String: String], any Error>? in
                guard state.1 == nil else { return nil }
                state.1 = result
                defer { state.0 = nil }
                return state.0
            }
            continuation?.resume(with: result)
        }
    }
}

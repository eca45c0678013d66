import Logging

extension KafkaConsumer {
    /// Reads each partition of `starts` from its start offset up to, not including, its offset in `ends`, handing
    /// every message to `body` in order, and returns once every partition is read. The consumer is assigned the
    /// partitions; nothing is committed.
    /// - Throws: a fatal consumer error, or what `body` throws. Other consumer errors are logged and reading goes on.
    public func read(
        from starts: [TopicPartition: Int64],
        to ends: [TopicPartition: Int64],
        _ body: (KafkaMessage) async throws -> Void
    ) async throws {
        var remaining = ends.filter { partition, end in starts[partition].map { $0 < end } ?? false }
        guard !remaining.isEmpty else { return }
        try assign(starts.filter { remaining[$0.key] != nil })
        while !remaining.isEmpty {
            try Task.checkCancellation()
            for event in await poll(timeout: .milliseconds(500), maxEvents: 500) {
                switch event {
                case .message(let message):
                    guard let end = remaining[message.topicPartition], message.offset < end else { continue }
                    if message.offset + 1 >= end { remaining[message.topicPartition] = nil }
                    try await body(message)
                case .error(let error) where error.isFatal:
                    throw error
                case .error(let error):
                    logger.warning("Kafka consumer error", metadata: ["error": "\(error)"])
                case .assigned, .revoked:
                    break
                }
            }
        }
    }
}

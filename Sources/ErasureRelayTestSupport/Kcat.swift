import Foundation
import Kafka
import Logging

/// kcat, the independent Kafka client the tests check erasure-relay against.
public enum Kcat {
    public static var path: String? {
        ["/usr/bin/kcat", "/usr/local/bin/kcat", "/usr/bin/kafkacat"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Produces one message per line of `lines`, without keys, to `partition` or wherever the partitioner puts them,
    /// each with `headers`.
    public static func produce(
        bootstrap: String,
        topic: String,
        partition: Int32? = nil,
        headers: [(name: String, value: String)] = [],
        lines: [String]
    ) async throws {
        guard let path else { throw ChildProcessError("kcat is not installed") }
        let process = try ChildProcess(
            path,
            ["-P", "-b", bootstrap, "-t", topic] + (partition.map { ["-p", "\($0)"] } ?? [])
                + headers.flatMap { ["-H", "\($0.name)=\($0.value)"] },
            input: Array((lines.joined(separator: "\n") + "\n").utf8)
        )
        try await check(process)
    }

    /// Produces one message per entry, each with its own key, so that messages spread over the partitions.
    public static func produce(bootstrap: String, topic: String, keyed: [(key: String, value: String)]) async throws {
        guard let path else { throw ChildProcessError("kcat is not installed") }
        let input = keyed.map { "\($0.key)\t\($0.value)" }.joined(separator: "\n") + "\n"
        let process = try ChildProcess(
            path,
            ["-P", "-b", bootstrap, "-t", topic, "-K", "\t"],
            input: Array(input.utf8)
        )
        try await check(process)
    }

    /// Reads `count` messages from the start of `topic`, waiting up to `timeout` for them.
    public static func consume(
        bootstrap: String,
        topic: String,
        count: Int,
        timeout: Duration = .seconds(60)
    )
        async throws -> [String]
    {
        guard let path else { throw ChildProcessError("kcat is not installed") }
        let process = try ChildProcess(
            path,
            [
                "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-c", "\(count)",
                "-q", "-f", "%s\n",
            ]
        )
        let status = try await process.waitForExit(timeout: timeout)
        guard status == 0 else { throw ChildProcessError("kcat consume failed: \(process.standardError)") }
        return process.standardOutput.split(separator: "\n").map(String.init)
    }

    private static func check(_ process: ChildProcess) async throws {
        let status = try await process.waitForExit()
        guard status == 0 else { throw ChildProcessError("kcat produce failed: \(process.standardError)") }
    }
}

/// Sends records with headers, which kcat cannot, each acknowledged by the broker before this returns.
/// - Parameters:
///   - records: key, value and headers of each record, in order.
///   - properties: producer properties, such as a larger `message.max.bytes`.
public func produceRecords(
    bootstrap: String,
    topic: String,
    _ records: [(key: [UInt8]?, value: [UInt8], headers: [KafkaHeader])],
    properties: [String: String] = [:],
    logger: Logger
) async throws {
    let producer = try KafkaProducer(
        configuration: .init(bootstrapServers: bootstrap, properties: properties),
        logger: logger
    )
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await producer.run() }
        defer { group.cancelAll() }
        for record in records {
            try await producer.send(topic: topic, key: record.key, value: record.value, headers: record.headers)
        }
    }
}

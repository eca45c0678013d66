import ArgumentParser
import ErasureRelay
import Foundation
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization
import VendorSandbox

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput, quota use and memory on this machine (see BENCHMARKS.md).",
        subcommands: [ThroughputBench.self, QuotaBench.self, MemoryBench.self, OutageBench.self]
    )
}

/// End-to-end requests per second through the broker, next to kcat relaying the same topic.
struct ThroughputBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Requests per second end to end, every vendor answering at once, next to a kcat relay."
    )

    @Option(help: "Requests in the backlog.") var requests = 20_000
    @Option(help: "Partitions of the request topic.") var partitions = 8
    @Option(help: "Vendors each request targets.") var vendors = "braze,moengage,moengage_gdpr,engagelab"

    @Flag(help: "Print the relay's metrics after the run.") var showMetrics = false
    @Option(help: "pipeline.max_in_flight for the run.") var maxInFlight = RelayConfiguration.Pipeline().maxInFlight
    @Option(help: "A librdkafka property for the relay, as KEY=VALUE. Repeatable.") var kafkaProperty: [String] = []

    func run() async throws {
        let logger = BenchBacklog.logger
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let targets = try BenchBacklog.vendors(vendors)
        let broker = try BenchBacklog.broker(partitions: partitions, extraTopics: ["kcat-relay-copy"], logger: logger)
        defer { broker.shutdown() }
        let topics = RelayConfiguration.Kafka()
        let produceStarted = ContinuousClock.now
        try await BenchBacklog.produce(
            requests,
            to: topics.requestTopic,
            broker: broker.bootstrapServers,
            vendors: targets,
            logger: logger
        )
        let produceSeconds = (ContinuousClock.now - produceStarted).seconds
        let kcatSeconds = try kcatRelaySeconds(
            bootstrap: broker.bootstrapServers,
            from: topics.requestTopic,
            count: requests
        )
        let sandbox = VendorSandbox(configuration: .unmetered, logger: logger)
        var pipeline = RelayConfiguration.Pipeline()
        pipeline.maxInFlight = maxInFlight
        pipeline.resumeBelow = maxInFlight * 3 / 4
        let properties = Dictionary(
            kafkaProperty.compactMap { entry -> (String, String)? in
                let parts = entry.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }
        ) { $1 }
        let relaySeconds = try await BenchRun.relay(
            sandbox: sandbox,
            bootstrap: broker.bootstrapServers,
            expecting: requests,
            pipeline: pipeline,
            kafkaProperties: properties,
            logger: logger
        ) { settings in
            settings.rateLimit = .init(requests: 10_000_000, windowSeconds: 1)
            settings.maxConcurrency = 32
        }
        let relayRate = Double(requests) / relaySeconds
        let kcatRate = Double(requests) / kcatSeconds
        print(
            """
            | requests | partitions | vendors | erasure-relay (req/s) | kcat consume→produce (msg/s) | ratio |
            |---|---|---|---|---|---|
            | \(requests) | \(partitions) | \(vendors) | \(Int(relayRate)) | \(Int(kcatRate)) | \(String(format: "%.2f", relayRate / kcatRate)) |

            \(showMetrics ? registry.emitToString().split(separator: "\n").filter { $0.contains("_sum") || $0.contains("_count") || $0.contains("_total") }.joined(separator: "\n") : "")
            Backlog produced by erasure-relay's producer, each send awaiting its acknowledgement: \(Int(Double(requests) / produceSeconds)) msg/s.
            """
        )
    }

    /// kcat reading the request topic and producing every message to another topic, as one shell pipeline.
    private func kcatRelaySeconds(bootstrap: String, from topic: String, count: Int) throws -> Double {
        let started = ContinuousClock.now
        let status = try BenchProcess.shell(
            "kcat -C -b \(bootstrap) -t \(topic) -o beginning -c \(count) -q -K '\\t' -f '%k\\t%s\\n' "
                + "| kcat -P -b \(bootstrap) -t kcat-relay-copy -K '\\t' -X acks=all -X enable.idempotence=true"
        )
        guard status == 0 else { throw ValidationError("the kcat relay failed with status \(status)") }
        return (ContinuousClock.now - started).seconds
    }
}

/// Requests per second while one vendor hangs, next to every vendor answering.
struct OutageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outage",
        abstract: "Requests per second while one vendor hangs past its timeout, next to every vendor answering."
    )

    @Option(help: "Requests in the backlog.") var requests = 3000
    @Option(help: "Partitions of the request topic.") var partitions = 8
    @Option(help: "Vendors each request targets.") var vendors = "braze,moengage_gdpr,engagelab"
    @Option(help: "The vendor whose every call hangs.") var down = "engagelab"
    @Option(help: "timeout_seconds for every vendor.") var timeout = 2

    func run() async throws {
        let logger = BenchBacklog.logger
        let targets = try BenchBacklog.vendors(vendors)
        guard let downVendor = SandboxVendor(rawValue: down) else {
            throw ValidationError("--down: unknown vendor \(down)")
        }
        let broker = try BenchBacklog.broker(partitions: partitions, logger: logger)
        defer { broker.shutdown() }
        try await BenchBacklog.produce(
            requests,
            to: RelayConfiguration.Kafka().requestTopic,
            broker: broker.bootstrapServers,
            vendors: targets,
            logger: logger
        )
        // Requests fail, rather than park, once the lane gives up: each run ends with one outcome per request.
        var parking = RelayConfiguration.Parking()
        parking.maxParks = 0
        var rows: [String] = []
        for hanging in [false, true] {
            let sandbox = VendorSandbox(configuration: .unmetered, logger: logger)
            if hanging { await sandbox.inject(.hang(seconds: timeout + 1), count: 10_000_000, into: downVendor) }
            let seconds = try await BenchRun.relay(
                sandbox: sandbox,
                bootstrap: broker.bootstrapServers,
                expecting: requests,
                parking: parking,
                logger: logger
            ) { [timeout] settings in
                settings.rateLimit = .init(requests: 10_000_000, windowSeconds: 1)
                settings.timeoutSeconds = timeout
                settings.retry.maxAttempts = 3
            }
            let calls = await sandbox.record(of: downVendor).calls
            rows.append(
                "| \(hanging ? "\(down) hangs" : "every vendor answers") | \(Int(Double(requests) / seconds)) "
                    + "| \(calls) |"
            )
        }
        print(
            """
            | \(requests) requests, vendors \(vendors), timeout \(timeout) s, 3 attempts | req/s | calls to \(down) |
            |---|---|---|
            \(rows.joined(separator: "\n"))
            """
        )
    }
}

/// Calls per window against each vendor's quota under a backlog, and the 429s.
struct QuotaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota",
        abstract: "Quota use per vendor under backlog (calls per window / quota) and the number of 429s."
    )

    @Option(help: "Seconds to run.") var seconds = 30
    @Option(help: "Quota window in seconds, for every vendor.") var window = 10

    func run() async throws {
        let logger = BenchBacklog.logger
        let quotas: [SandboxVendor: Int] = [.braze: 200, .moengage: 300, .moengageGDPR: 60, .engagelab: 250]
        var sandboxConfiguration = SandboxConfiguration()
        for (vendor, requests) in quotas {
            sandboxConfiguration.quotas[vendor] = .init(requests: requests, windowSeconds: Double(window))
        }
        let broker = try BenchBacklog.broker(partitions: 8, logger: logger)
        defer { broker.shutdown() }
        let topics = RelayConfiguration.Kafka()
        // More work than the quotas allow in the time given: every lane stays backlogged throughout.
        let backlog = quotas.values.max()! * (seconds / window + 2)
        try await BenchBacklog.produce(
            backlog,
            to: topics.requestTopic,
            broker: broker.bootstrapServers,
            vendors: VendorID.allCases,
            logger: logger
        )
        let sandbox = VendorSandbox(configuration: sandboxConfiguration, logger: logger)
        _ = try await BenchRun.relay(
            sandbox: sandbox,
            bootstrap: broker.bootstrapServers,
            expecting: nil,
            for: .seconds(seconds),
            logger: logger
        ) { settings in
            settings.rateLimit = .init(
                requests: quotas[SandboxVendor(rawValue: settings.vendor.rawValue)!]!,
                windowSeconds: window
            )
            // Big batches would hide the limiter: one identifier per call makes every request cost a call.
            settings.batching.maxSize = 1
        }
        print("| vendor | quota | peak calls in any \(window) s window | use | 429s |\n|---|---|---|---|---|")
        for vendor in SandboxVendor.allCases {
            let record = await sandbox.record(of: vendor)
            let quota = quotas[vendor]!
            print(
                "| \(vendor.rawValue) | \(quota)/\(window) s | \(record.peakCallsInWindow) | "
                    + "\(String(format: "%.1f%%", Double(record.peakCallsInWindow) * 100 / Double(quota))) | "
                    + "\(record.quotaViolations) |"
            )
        }
    }
}

/// Peak resident memory of the service, run as its own process, working through a backlog.
struct MemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Peak resident memory of `erasure-relay run` working through a backlog on a separate dev-broker."
    )

    @Option(help: "Requests in the backlog.") var backlog = 10_000
    @Option(help: "Partitions of the request topic (the embedded broker keeps about 5 MB each).") var partitions = 64
    @Option(help: "Vendors each request targets.") var vendors = "braze"

    func run() async throws {
        let logger = BenchBacklog.logger
        let targets = try BenchBacklog.vendors(vendors)
        let executable = CommandLine.arguments[0]
        let broker = try BenchProcess(
            executable,
            ["dev-broker", "--partitions", "\(partitions)", "--log-level", "error"]
        )
        defer { broker.terminate() }
        let bootstrap = try broker.firstLine()
        try await BenchBacklog.produce(backlog, to: "user-erasure", broker: bootstrap, vendors: targets, logger: logger)
        let sandbox = VendorSandbox(configuration: .unmetered, logger: logger)
        let group = ServiceGroup(services: [sandbox], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let settings = await sandbox.relayVendorSettings()
            let configPath = NSTemporaryDirectory() + "erasure-relay-bench-\(getpid()).yaml"
            var yaml = "kafka:\n  bootstrap_servers: \"\(bootstrap)\"\n  group_id: bench-memory\nvendors:\n"
            for (vendor, setting) in settings.sorted(by: { $0.key < $1.key }) {
                yaml += "  \(vendor.rawValue):\n    base_url: \"\(setting.baseURL)\"\n"
                yaml += "    rate_limit: { requests: 10000000, window_seconds: 1 }\n    max_concurrency: 32\n"
                switch setting.account {
                case .braze(let key, _): yaml += "    api_key: \"\(key.value)\"\n"
                case .moengage(let workspace, let key):
                    yaml += "    workspace_id: \"\(workspace)\"\n    api_key: \"\(key.value)\"\n"
                case .moengageGDPR(let app, let key, _):
                    yaml += "    app_id: \"\(app)\"\n    api_key: \"\(key.value)\"\n"
                case .engagelab(let app, let secret):
                    yaml += "    app_key: \"\(app)\"\n    master_secret: \"\(secret.value)\"\n"
                }
            }
            try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: configPath) }
            let started = ContinuousClock.now
            let relay = try BenchProcess(executable, ["run", "--config", configPath, "--log-level", "warning"])
            defer { relay.terminate() }
            let counted = try await BenchRun.countOutcomes(bootstrap: bootstrap, expecting: backlog, logger: logger)
            let elapsed = (ContinuousClock.now - started).seconds
            let peak = relay.peakResidentBytes() ?? 0
            relay.terminate()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            print(
                """
                | backlog | partitions | vendors | outcomes | seconds | peak RSS (MB) |
                |---|---|---|---|---|---|
                | \(backlog) | \(partitions) | \(vendors) | \(counted) | \(String(format: "%.1f", elapsed)) | \(String(format: "%.1f", Double(peak) / 1_048_576)) |
                """
            )
        }
    }
}

enum BenchBacklog {
    /// Benchmarks log only warnings and errors, so that their tables stand out.
    static var logger: Logger {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        return logger
    }

    /// An embedded broker with erasure-relay's topics and `extraTopics`, `partitions` each.
    static func broker(partitions: Int, extraTopics: [String] = [], logger: Logger) throws -> EmbeddedBroker {
        let broker = try EmbeddedBroker(logger: logger)
        for topic in RelayConfiguration.Kafka().topics + extraTopics {
            try broker.createTopic(topic, partitions: partitions)
        }
        return broker
    }

    /// Parses a comma-separated vendor list.
    static func vendors(_ list: String) throws -> [VendorID] {
        try list.split(separator: ",").map { name in
            guard let vendor = VendorID(rawValue: String(name)) else { throw ValidationError("unknown vendor \(name)") }
            return vendor
        }
    }

    /// Produces `count` valid requests, each with identifiers for `vendors`, keyed so they spread over partitions.
    static func produce(
        _ count: Int,
        to topic: String,
        broker: String,
        vendors: [VendorID],
        logger: Logger
    ) async throws {
        let producer = try KafkaProducer(
            configuration: .init(
                bootstrapServers: broker,
                properties: ["linger.ms": "20", "batch.num.messages": "5000"]
            ),
            logger: logger
        )
        let vendorList = vendors.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await producer.run() }
            for start in stride(from: 0, to: count, by: 2000) {
                try await withThrowingTaskGroup(of: Void.self) { sends in
                    for index in start..<min(count, start + 2000) {
                        let value = """
                            {"request_id":"bench-\(index)","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z",\
                            "subject":{"external_id":"user-\(index)","moengage_id":"moe-\(index)",\
                            "email":"user\(index)@example.com","engagelab_registration_ids":["reg-\(index)"]},\
                            "vendors":[\(vendorList)]}
                            """
                        sends.addTask {
                            try await producer.send(
                                topic: topic,
                                key: Array("bench-\(index)".utf8),
                                value: Array(value.utf8)
                            )
                        }
                    }
                    try await sends.waitForAll()
                }
            }
            group.cancelAll()
        }
    }
}

enum BenchRun {
    /// Runs the relay in-process against `sandbox` until `expecting` outcomes (or for `duration`); returns seconds.
    static func relay(
        sandbox: VendorSandbox,
        bootstrap: String,
        expecting: Int?,
        for duration: Duration? = nil,
        pipeline: RelayConfiguration.Pipeline = .init(),
        parking: RelayConfiguration.Parking = .init(),
        kafkaProperties: [String: String] = [:],
        logger: Logger,
        adjust: @escaping @Sendable (inout VendorSettings) -> Void
    ) async throws -> Double {
        let outcomes = OutcomeCounter()
        let group = ServiceGroup(services: [sandbox], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var configuration = RelayConfiguration()
            configuration.kafka.groupID = "bench-\(UUID().uuidString)"
            configuration.pipeline = pipeline
            configuration.parking = parking
            configuration.parking.signingKeys = [Secret("erasure-relay-bench-signing-key-0123456789")]
            configuration.kafka.properties = kafkaProperties
            configuration.vendors = await sandbox.relayVendorSettings().mapValues { settings in
                var settings = settings
                adjust(&settings)
                return settings
            }
            let relay = RelayApplication(
                configuration: configuration,
                bootstrapServers: bootstrap,
                logger: logger,
                observer: { outcome in
                    outcomes.increment()
                    outcomes.addVendorTime(
                        outcome.completedAt.millisecondsSinceEpoch
                            - outcome.receivedAt.millisecondsSinceEpoch
                    )
                }
            )
            let relayGroup = ServiceGroup(services: [relay], gracefulShutdownSignals: [], logger: logger)
            tasks.addTask { try await relayGroup.run() }
            let started = ContinuousClock.now
            if let expecting {
                await outcomes.wait(for: expecting)
            } else if let duration {
                try await Task.sleep(for: duration)
            }
            let elapsed = (ContinuousClock.now - started).seconds
            if ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil {
                print("mean ms from read to vendors done: \(outcomes.meanVendorMilliseconds)")
            }
            await relayGroup.triggerGracefulShutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return elapsed
        }
    }

    /// Reads the outcome topic until `expecting` outcomes arrived; returns how many.
    static func countOutcomes(bootstrap: String, expecting: Int, logger: Logger) async throws -> Int {
        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap),
            groupID: "bench-outcome-counter-\(UUID().uuidString)",
            logger: logger
        )
        try consumer.subscribe(topics: ["user-erasure-outcomes"])
        var seen = 0
        while seen < expecting {
            for event in await consumer.poll(timeout: .milliseconds(200)) {
                if case .message = event { seen += 1 }
            }
        }
        await consumer.close()
        return seen
    }
}

final class OutcomeCounter: Sendable {
    private let state = Mutex<(count: Int, waiting: [(Int, CheckedContinuation<Void, Never>)])>((0, []))
    private let vendorMilliseconds = Mutex<(total: Int64, count: Int64)>((0, 0))

    func addVendorTime(_ milliseconds: Int64) {
        vendorMilliseconds.withLock {
            $0.total += milliseconds
            $0.count += 1
        }
    }

    var meanVendorMilliseconds: Double {
        vendorMilliseconds.withLock { $0.count == 0 ? 0 : Double($0.total) / Double($0.count) }
    }

    func increment() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count += 1
            let count = state.count
            let ready = state.waiting.filter { $0.0 <= count }.map(\.1)
            state.waiting.removeAll { $0.0 <= count }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    func wait(for count: Int) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.count >= count { return true }
                state.waiting.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// A helper process for benchmarks: output discarded except the first line, peak memory read from /proc.
final class BenchProcess: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    static func shell(_ command: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func firstLine() throws -> String {
        var bytes: [UInt8] = []
        while true {
            let chunk = output.fileHandleForReading.readData(ofLength: 1)
            guard let byte = chunk.first else { throw ValidationError("the helper process exited early") }
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        // Keep draining so the process never blocks on a full pipe, on a blocking reader thread: a
        // readabilityHandler's teardown can crash libdispatch on Linux (swift-corelibs-libdispatch issue 949).
        let handle = output.fileHandleForReading
        Thread.detachNewThread {
            while !handle.availableData.isEmpty {}
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// VmHWM: the most resident memory the process has used.
    func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
        return kilobytes.map { $0 * 1024 }
    }

    func terminate() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension SandboxConfiguration {
    /// Quotas out of the way, so that a benchmark measures the pipeline rather than the limiter.
    static var unmetered: SandboxConfiguration {
        var configuration = SandboxConfiguration()
        for vendor in SandboxVendor.allCases {
            configuration.quotas[vendor] = .init(requests: 10_000_000, windowSeconds: 1)
        }
        return configuration
    }
}

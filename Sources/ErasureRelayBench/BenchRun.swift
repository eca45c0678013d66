import ArgumentParser
import ErasureRelay
import ErasureRelaySandboxBridge
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import VendorSandbox

enum BenchRun {
    /// The path of `name` in the directory this benchmark's executable is in, where SwiftPM builds its siblings.
    static func siblingExecutable(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// VmHWM: the most resident memory process `pid` has used.
    static func peakResidentBytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
        return kilobytes.map { $0 * 1024 }
    }

    /// Runs the relay in-process against `sandbox` until `expecting` outcomes (or for `duration`); returns seconds.
    static func relay(
        sandbox: VendorSandbox,
        bootstrap: String,
        expecting: Int?,
        for duration: Duration? = nil,
        pipeline: RelayConfiguration.Pipeline = .init(),
        parking: RelayConfiguration.Parking = .init(),
        kafkaProperties: [String: String] = [:],
        consumerProperties: [String: String] = [:],
        outcomes: OutcomeCounter = OutcomeCounter(),
        logger: Logger,
        adjust: @escaping @Sendable (inout VendorSettings) -> Void
    ) async throws -> Double {
        let group = ServiceGroup(services: [sandbox], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var configuration = RelayConfiguration()
            configuration.kafka.groupID = "bench-\(UUID().uuidString)"
            configuration.pipeline = pipeline
            configuration.parking = parking
            configuration.parking.signingKeys = [Secret("erasure-relay-bench-signing-key-0123456789")]
            configuration.kafka.properties = kafkaProperties
            configuration.kafka.consumerProperties = consumerProperties
            configuration.vendors = try await sandbox.relayVendorSettings().mapValues { settings in
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
                        outcome.completedAt.millisecondsSinceEpoch - outcome.receivedAt.millisecondsSinceEpoch,
                        requestID: outcome.requestID
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
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            if ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil {
                print("mean ms from read to vendors done: \(outcomes.meanVendorMilliseconds())")
            }
            await relayGroup.triggerGracefulShutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return elapsed
        }
    }

    /// Reads the outcome topic until `expecting` outcomes arrived, or until `producing` turns false; returns how many.
    static func countOutcomes(
        bootstrap: String,
        expecting: Int,
        logger: Logger,
        while producing: () -> Bool = { true }
    ) async throws -> Int {
        let consumer = try KafkaConsumer(
            configuration: .init(bootstrapServers: bootstrap),
            groupID: "bench-outcome-counter-\(UUID().uuidString)",
            logger: logger
        )
        try consumer.subscribe(topics: ["user-erasure-outcomes"])
        var seen = 0
        while seen < expecting, producing() {
            for event in await consumer.poll(timeout: .milliseconds(200)) {
                if case .message = event { seen += 1 }
            }
        }
        await consumer.close()
        return seen
    }
}

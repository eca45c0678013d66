import ArgumentParser
import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization
import VendorSandbox

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erasure-relay-bench",
        abstract: "Measure throughput, quota use and memory on this machine (see BENCHMARKS.md).",
        subcommands: [
            ThroughputBench.self, LatencyBench.self, QuotaBench.self, MemoryBench.self, OutageBench.self,
            ReportBench.self,
        ]
    )
}

import ErasureRelay
import Foundation
import Kafka
import Prometheus
import Testing

@Suite("Commit latency")
struct CommitLatencyTests {
    @Test func measuresFromTheFirstStoreToTheCommitThatCoversIt() {
        let registry = PrometheusCollectorRegistry()
        let tracker = CommitLatencyTracker(metrics: RelayMetrics(factory: PrometheusMetricsFactory(registry: registry)))
        let partition = TopicPartition(topic: "user-erasure", partition: 0)
        tracker.stored(partition, offset: 5)
        tracker.stored(partition, offset: 9)
        tracker.committed(succeeded: true, offsets: [partition: 5])
        #expect(!registry.emitToString().contains("erasure_relay_offset_commit_latency_seconds_count 1"))
        tracker.committed(succeeded: true, offsets: [partition: 9])
        tracker.committed(succeeded: false, offsets: [:])
        let text = registry.emitToString()
        #expect(text.contains("erasure_relay_offset_commit_latency_seconds_count 1"))
        #expect(text.contains("erasure_relay_offset_commits_total{result=\"ok\"} 2"))
        #expect(text.contains("erasure_relay_offset_commits_total{result=\"error\"} 1"))
    }
}

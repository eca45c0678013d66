import ErasureRelay
import ErasureRelayTestSupport
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
        let latency = "erasure_relay_offset_commit_latency_seconds_count"
        #expect(PrometheusText.value(of: latency, in: registry.emitToString()) ?? 0 == 0)
        tracker.committed(succeeded: true, offsets: [partition: 9])
        tracker.committed(succeeded: false, offsets: [:])
        let text = registry.emitToString()
        #expect(PrometheusText.value(of: latency, in: text) == 1)
        #expect(PrometheusText.value(of: #"erasure_relay_offset_commits_total{result="ok"}"#, in: text) == 2)
        #expect(PrometheusText.value(of: #"erasure_relay_offset_commits_total{result="error"}"#, in: text) == 1)
    }
}

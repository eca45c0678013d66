import ErasureRelay
import Foundation
import Kafka
import Prometheus
import Testing

@Suite("Lag and deadline gauges")
struct ConsumerStatisticsTests {
    @Test func readsConsumerLagPerPartitionOfTheRequestTopic() {
        let json = """
            {"name":"rdkafka#consumer-1","topics":{
              "user-erasure":{"partitions":{"0":{"consumer_lag":12},"1":{"consumer_lag":-1},"-1":{"consumer_lag":0},
                                            "2":{"consumer_lag":0}}},
              "other":{"partitions":{"0":{"consumer_lag":99}}}}}
            """
        let lag = ConsumerStatistics.lag(json: json, topic: "user-erasure").sorted { $0.partition < $1.partition }
        #expect(lag.map(\.partition) == [0, 2])
        #expect(lag.map(\.lag) == [12, 0])
        #expect(ConsumerStatistics.lag(json: "not json", topic: "user-erasure").isEmpty)
    }

    /// librdkafka reports -1 for a partition the group never committed; read from the earliest offset, its lag is
    /// everything it holds, and 0 when it is empty.
    @Test func countsAPartitionNeverCommittedFromItsEarliestOffset() {
        let json = """
            {"topics":{"user-erasure-retry":{"partitions":{
              "0":{"consumer_lag":-1,"committed_offset":-1001,"lo_offset":0,"hi_offset":0},
              "1":{"consumer_lag":-1,"committed_offset":-1001,"lo_offset":4,"hi_offset":9},
              "2":{"consumer_lag":-1,"committed_offset":7,"lo_offset":0,"hi_offset":-1},
              "3":{"consumer_lag":-1,"committed_offset":-1001,"lo_offset":-1,"hi_offset":-1}}}}}
            """
        let lag = ConsumerStatistics.lag(json: json, topic: "user-erasure-retry").sorted { $0.partition < $1.partition }
        #expect(lag.map(\.partition) == [0, 1])
        #expect(lag.map(\.lag) == [0, 5])
    }

    @Test func reportsTheRetryTopicsLagAsTheParkedBacklog() {
        let registry = PrometheusCollectorRegistry()
        let metrics = RelayMetrics(factory: PrometheusMetricsFactory(registry: registry))
        metrics.partitionsAssigned([
            TopicPartition(topic: "user-erasure", partition: 0),
            TopicPartition(topic: "user-erasure-retry", partition: 0),
            TopicPartition(topic: "user-erasure-retry", partition: 1),
        ])
        metrics.consumerLag(
            statistics: """
                {"topics":{"user-erasure":{"partitions":{"0":{"consumer_lag":12}}},
                           "user-erasure-retry":{"partitions":{"0":{"consumer_lag":3},"1":{"consumer_lag":5}}},
                           "user-erasure-outcomes":{"partitions":{"0":{"consumer_lag":99}}}}}
                """,
            topics: RelayConfiguration.Kafka()
        )
        #expect(
            Self.samples(registry) == [
                #"erasure_relay_consumer_lag_messages{partition="0"} 12.0"#,
                #"erasure_relay_parked_backlog_messages{partition="0"} 3.0"#,
                #"erasure_relay_parked_backlog_messages{partition="1"} 5.0"#,
            ]
        )
    }

    @Test func reportsOnlyThePartitionsItHoldsSoThatASumOverReplicasCountsEachOnce() {
        let registry = PrometheusCollectorRegistry()
        let metrics = RelayMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let statistics = """
            {"topics":{"user-erasure":{"partitions":{"0":{"consumer_lag":12},"1":{"consumer_lag":7},
                                                     "2":{"consumer_lag":4}}}}}
            """
        metrics.partitionsAssigned([0, 1].map { TopicPartition(topic: "user-erasure", partition: $0) })
        metrics.consumerLag(statistics: statistics, topics: RelayConfiguration.Kafka())
        #expect(
            Self.samples(registry) == [
                #"erasure_relay_consumer_lag_messages{partition="0"} 12.0"#,
                #"erasure_relay_consumer_lag_messages{partition="1"} 7.0"#,
            ]
        )

        // Partition 1 moves to another replica. librdkafka may go on reporting its last lag here; the gauge goes.
        metrics.partitionsRevoked([TopicPartition(topic: "user-erasure", partition: 1)])
        #expect(Self.samples(registry) == [#"erasure_relay_consumer_lag_messages{partition="0"} 12.0"#])
        metrics.consumerLag(statistics: statistics, topics: RelayConfiguration.Kafka())
        #expect(Self.samples(registry) == [#"erasure_relay_consumer_lag_messages{partition="0"} 12.0"#])

        metrics.partitionsAssigned([TopicPartition(topic: "user-erasure", partition: 1)])
        metrics.consumerLag(statistics: statistics, topics: RelayConfiguration.Kafka())
        #expect(
            Self.samples(registry) == [
                #"erasure_relay_consumer_lag_messages{partition="0"} 12.0"#,
                #"erasure_relay_consumer_lag_messages{partition="1"} 7.0"#,
            ]
        )
    }

    @Test func removesTheDeadlineSlackOnceNoUnfinishedRequestHasADeadline() {
        let registry = PrometheusCollectorRegistry()
        let metrics = RelayMetrics(factory: PrometheusMetricsFactory(registry: registry))
        metrics.oldestRequest(ageSeconds: 2, deadlineSlackSeconds: 3600)
        #expect(
            Self.samples(registry) == [
                "erasure_relay_oldest_request_age_seconds 2.0", "erasure_relay_deadline_slack_seconds 3600.0",
            ]
        )
        // Left at 3600, the slack would keep a deadline alert firing for a request that is long done.
        metrics.oldestRequest(ageSeconds: 0, deadlineSlackSeconds: nil)
        #expect(Self.samples(registry) == ["erasure_relay_oldest_request_age_seconds 0.0"])
        metrics.oldestRequest(ageSeconds: 1, deadlineSlackSeconds: 60)
        #expect(
            Self.samples(registry) == [
                "erasure_relay_oldest_request_age_seconds 1.0", "erasure_relay_deadline_slack_seconds 60.0",
            ]
        )
    }

    private static func samples(_ registry: PrometheusCollectorRegistry) -> Set<String> {
        Set(registry.emitToString().split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
    }
}

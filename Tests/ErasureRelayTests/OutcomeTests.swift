import ErasureRelay
import Foundation
import Kafka
import Prometheus
import Testing

@Suite("Outcome JSON")
struct OutcomeTests {
    @Test func writesEveryFieldOfTheSchemaWithNullsForAbsentValues() throws {
        let outcome = Outcome(
            requestID: nil,
            status: .rejected,
            regulation: nil,
            receivedAt: Timestamp(millisecondsSinceEpoch: 0),
            completedAt: Timestamp(millisecondsSinceEpoch: 1),
            deadline: nil,
            vendors: [],
            error: .init(RequestRejection(code: .invalidJSON, field: nil, message: "message is not valid JSON")),
            source: .init(topic: "user-erasure", partition: 3, offset: 1234)
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.jsonBytes())) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "request_id", "status", "regulation", "received_at", "completed_at", "deadline",
                "vendors", "error", "source",
            ]
        )
        #expect(object["request_id"] is NSNull)
        #expect(object["status"] as? String == "rejected")
        #expect(object["received_at"] as? String == "1970-01-01T00:00:00.000Z")
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? String == "invalid_json")
        #expect(error["field"] is NSNull)
        let source = try #require(object["source"] as? [String: Any])
        #expect(source["partition"] as? Int == 3)
        #expect(source["offset"] as? Int == 1234)
    }

    @Test func vendorResultsCarryCountsNotIdentifiers() throws {
        let result = VendorResult(
            vendor: .moengageGDPR,
            status: .accepted,
            attempts: 2,
            httpStatus: 200,
            identifiers: 3,
            reference: "ref-1"
        )
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as? [String: Any]
        )
        #expect(object["vendor"] as? String == "moengage_gdpr")
        #expect(object["identifiers"] as? Int == 3)
        #expect(object["error"] is NSNull)
        #expect(object["deleted"] == nil)
    }
}

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

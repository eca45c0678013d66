import Kafka
import Metrics
import Synchronization

/// erasure-relay's metrics, through swift-metrics. Names follow Prometheus conventions: one `erasure_relay_`
/// prefix, base units, `_total` for counters. Label values are vendor names, statuses and partition numbers, never
/// identifiers or request ids.
public struct RelayMetrics: Sendable {
    private let factory: any MetricsFactory
    private let lagGauges = LagGauges()
    private let deadlineSlack = OptionalGauge()

    /// - Parameter factory: where metrics go; the bootstrapped metrics system by default.
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    /// Creates every series whose labels are known before any traffic, at zero, so that rates and alerts see a
    /// counter from the start rather than a series that appears with its first event; and records each vendor's
    /// configured quota, against which the dashboard sets its calls.
    public func prepare(vendors: [VendorSettings], publishTopics: [String]) {
        for status in Outcome.Status.allCases {
            Counter(label: "erasure_relay_outcomes_total", dimensions: [("status", status.rawValue)], factory: factory)
                .increment(by: 0)
        }
        for status in ErasureConfirmation.Status.allCases {
            Counter(
                label: "erasure_relay_confirmations_total",
                dimensions: [("status", status.rawValue)],
                factory: factory
            ).increment(by: 0)
        }
        Counter(label: "erasure_relay_requests_consumed_total", factory: factory).increment(by: 0)
        outcomeRetention(.unknown("not checked yet"))
        for result in ["ok", "error"] {
            Counter(label: "erasure_relay_offset_commits_total", dimensions: [("result", result)], factory: factory)
                .increment(by: 0)
        }
        for topic in publishTopics {
            Counter(label: "erasure_relay_publish_retries_total", dimensions: [("topic", topic)], factory: factory)
                .increment(by: 0)
        }
        for settings in vendors {
            let vendor = settings.vendor.rawValue
            for status in VendorResult.Status.allCases {
                Counter(
                    label: "erasure_relay_vendor_results_total",
                    dimensions: [("vendor", vendor), ("status", status.rawValue)],
                    factory: factory
                ).increment(by: 0)
            }
            for result in CallResult.metricLabels {
                Counter(
                    label: "erasure_relay_vendor_calls_total",
                    dimensions: [("vendor", vendor), ("result", result)],
                    factory: factory
                ).increment(by: 0)
            }
            for label in ["erasure_relay_parked_total", "erasure_relay_vendor_rate_limited_total"] {
                Counter(label: label, dimensions: [("vendor", vendor)], factory: factory).increment(by: 0)
            }
            if (settings.account as? HTTPVendorDefinition)?.job != nil {
                for found in Self.jobCheckFindings {
                    Counter(
                        label: "erasure_relay_job_checks_total",
                        dimensions: [("vendor", vendor), ("found", found)],
                        factory: factory
                    ).increment(by: 0)
                }
            }
            // With several limits, the strictest sets the pace.
            Gauge(
                label: "erasure_relay_vendor_quota_calls_per_second",
                dimensions: [("vendor", vendor)],
                factory: factory
            ).record(settings.rateLimits.map { Double($0.requests) / Double($0.windowSeconds) }.min()!)
        }
        Gauge(label: "erasure_relay_requests_in_flight", factory: factory).record(0)
        Gauge(label: "erasure_relay_oldest_request_age_seconds", factory: factory).record(0)
    }

    // MARK: Requests and outcomes

    /// Requests read from the request topic.
    public func requestConsumed() {
        Counter(label: "erasure_relay_requests_consumed_total", factory: factory).increment()
    }

    /// An outcome the broker acknowledged, by request status, and how long its request took from being read to
    /// that acknowledgement.
    public func outcomePublished(_ status: Outcome.Status, after duration: Duration) {
        Counter(label: "erasure_relay_outcomes_total", dimensions: [("status", status.rawValue)], factory: factory)
            .increment()
        Timer(label: "erasure_relay_request_duration_seconds", factory: factory).recordNanoseconds(
            duration.nanoseconds
        )
    }

    /// Vendor results published, by vendor and vendor status.
    public func vendorResult(_ result: VendorResult) {
        Counter(
            label: "erasure_relay_vendor_results_total",
            dimensions: [("vendor", result.vendor.rawValue), ("status", result.status.rawValue)],
            factory: factory
        ).increment()
    }

    /// Requests parked on the retry topic, by vendor parked.
    public func requestParked(vendors: [VendorID]) {
        for vendor in vendors {
            Counter(label: "erasure_relay_parked_total", dimensions: [("vendor", vendor.rawValue)], factory: factory)
                .increment()
        }
    }

    /// What a deletion job's status check can find, as `erasure_relay_job_checks_total` labels it.
    static let jobCheckFindings = ["running", "done", "failed", "check_failed"]

    /// Deletion jobs' status checks, by vendor and what the check found: `running`, `done`, `failed`, or
    /// `check_failed` when no answer named a state.
    public func jobChecked(_ vendor: VendorID, found: String) {
        Counter(
            label: "erasure_relay_job_checks_total",
            dimensions: [("vendor", vendor.rawValue), ("found", found)],
            factory: factory
        ).increment()
    }

    /// ErasureConfirmation records the broker acknowledged, by status.
    public func confirmationPublished(_ status: ErasureConfirmation.Status) {
        Counter(
            label: "erasure_relay_confirmations_total",
            dimensions: [("status", status.rawValue)],
            factory: factory
        ).increment()
    }

    /// Sends to the broker that failed and are being tried again, by topic: outcomes, dead letters or parked work
    /// that is not yet acknowledged, holding its request's offset back.
    public func publishRetried(topic: String) {
        Counter(label: "erasure_relay_publish_retries_total", dimensions: [("topic", topic)], factory: factory)
            .increment()
    }

    /// Records written to the dead-letter topic, by error code.
    public func deadLettered(code: String) {
        Counter(label: "erasure_relay_dead_letters_total", dimensions: [("code", code)], factory: factory).increment()
    }

    /// Requests read and not yet done.
    public func requestsInFlight(_ count: Int) {
        Gauge(label: "erasure_relay_requests_in_flight", factory: factory).record(count)
    }

    /// Whether the outcome topic keeps outcomes as long as `outcomes.min_retention_days` asks: 1 yes, 0 no (an
    /// alert fires), -1 when its configuration could not be read.
    func outcomeRetention(_ verdict: OutcomeRetention) {
        let value: Int
        switch verdict {
        case .sufficient: value = 1
        case .insufficient: value = 0
        case .unknown: value = -1
        }
        Gauge(label: "erasure_relay_outcome_retention_sufficient", factory: factory).record(value)
    }

    /// Partitions currently paused by backpressure.
    public func partitionsPaused(_ count: Int) {
        Gauge(label: "erasure_relay_partitions_paused", factory: factory).record(count)
    }

    /// The age of the oldest unfinished request, and the least time left before any unfinished request's deadline.
    ///
    /// With no deadline to measure, the slack gauge is removed rather than left at its last value: a request that
    /// finished close to its deadline must not keep a deadline alert firing.
    public func oldestRequest(ageSeconds: Double, deadlineSlackSeconds: Double?) {
        Gauge(label: "erasure_relay_oldest_request_age_seconds", factory: factory).record(ageSeconds)
        deadlineSlack.update(deadlineSlackSeconds) {
            Gauge(label: "erasure_relay_deadline_slack_seconds", factory: factory)
        }
    }

    /// Consumer lag of the assigned partitions, from librdkafka's statistics: on the request topic as
    /// `consumer_lag_messages`, and on the retry topic as `parked_backlog_messages`, the parked requests not yet
    /// finished, waiting or due.
    ///
    /// Only partitions this replica holds are reported (see ``partitionsAssigned(_:)``), so that a sum over the
    /// replicas of a group counts every partition once.
    public func consumerLag(statistics json: String, topics: RelayConfiguration.Kafka) {
        for (topic, label) in Self.lagLabels(topics) {
            for (partition, lag) in ConsumerStatistics.lag(json: json, topic: topic) {
                let topicPartition = TopicPartition(topic: topic, partition: partition)
                lagGauges.recordIfAssigned(topicPartition, label: label) {
                    lagGauge(label, partition: partition).record(lag)
                }
            }
        }
    }

    /// Partitions this replica now holds, whose lag it reports from the next statistics on.
    public func partitionsAssigned(_ partitions: some Sequence<TopicPartition>) {
        lagGauges.assign(partitions)
    }

    /// Partitions taken from this replica: their lag gauges are removed at once rather than left at their last
    /// value, since the partition's new owner reports it from now on.
    public func partitionsRevoked(_ partitions: some Sequence<TopicPartition>) {
        for (partition, label) in lagGauges.revoke(partitions) {
            lagGauge(label, partition: partition.partition).destroy()
        }
    }

    private static func lagLabels(_ topics: RelayConfiguration.Kafka) -> [(topic: String, label: String)] {
        [(topics.requestTopic, "consumer_lag_messages"), (topics.retryTopic, "parked_backlog_messages")]
    }

    private func lagGauge(_ label: String, partition: Int32) -> Gauge {
        Gauge(label: "erasure_relay_\(label)", dimensions: [("partition", "\(partition)")], factory: factory)
    }

    /// How long publishing an outcome took until the broker acknowledged it.
    public func outcomeAcknowledged(after duration: Duration) {
        Timer(label: "erasure_relay_outcome_publish_duration_seconds", factory: factory).recordNanoseconds(
            duration.nanoseconds
        )
    }

    /// Offset commits reported by librdkafka, by result.
    public func commit(succeeded: Bool) {
        Counter(
            label: "erasure_relay_offset_commits_total",
            dimensions: [("result", succeeded ? "ok" : "error")],
            factory: factory
        )
        .increment()
    }

    /// How long a finished request's offset waited, from being stored to the broker confirming its commit.
    public func commitLatency(_ duration: Duration) {
        Timer(label: "erasure_relay_offset_commit_latency_seconds", factory: factory).recordNanoseconds(
            duration.nanoseconds
        )
    }

    // MARK: Vendor calls

    /// One vendor call, by how it ended: `accepted`, `rejected`, `retriable` or `transport_error`.
    public func vendorCall(_ vendor: VendorID, result: String, status: Int?, duration: Duration) {
        Counter(
            label: "erasure_relay_vendor_calls_total",
            dimensions: [("vendor", vendor.rawValue), ("result", result)],
            factory: factory
        )
        .increment()
        Timer(
            label: "erasure_relay_vendor_call_duration_seconds",
            dimensions: [("vendor", vendor.rawValue)],
            factory: factory
        )
        .recordNanoseconds(duration.nanoseconds)
        if status == 429 {
            Counter(
                label: "erasure_relay_vendor_rate_limited_total",
                dimensions: [("vendor", vendor.rawValue)],
                factory: factory
            ).increment()
        }
    }

    /// Identifiers put back in the queue to be tried again.
    public func vendorRetries(_ vendor: VendorID, count: Int) {
        Counter(
            label: "erasure_relay_vendor_retries_total",
            dimensions: [("vendor", vendor.rawValue)],
            factory: factory
        )
        .increment(by: count)
    }

    /// Items per call.
    public func batchSize(_ vendor: VendorID, items: Int) {
        Recorder(
            label: "erasure_relay_vendor_batch_size",
            dimensions: [("vendor", vendor.rawValue)],
            aggregate: true,
            factory: factory
        )
        .record(items)
    }

    /// How long a ready batch waited for the rate limiter.
    /// How long an identifier waited in its lane before its first call started: lingering for a batch, the rate
    /// limiter, the concurrency cap. A lane that lingers when it need not shows here.
    public func laneWait(_ vendor: VendorID, duration: Duration) {
        Timer(
            label: "erasure_relay_vendor_lane_wait_seconds",
            dimensions: [("vendor", vendor.rawValue)],
            factory: factory
        )
        .recordNanoseconds(duration.nanoseconds)
    }

    public func rateLimiterWait(_ vendor: VendorID, duration: Duration) {
        Timer(
            label: "erasure_relay_rate_limiter_wait_seconds",
            dimensions: [("vendor", vendor.rawValue)],
            factory: factory
        )
        .recordNanoseconds(duration.nanoseconds)
    }

    /// Identifiers waiting in a lane.
    public func laneQueue(_ vendor: VendorID, items: Int) {
        Gauge(label: "erasure_relay_vendor_queue_items", dimensions: [("vendor", vendor.rawValue)], factory: factory)
            .record(items)
    }
}

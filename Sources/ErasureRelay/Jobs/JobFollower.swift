import Kafka
import Logging

/// Follows the deletion jobs of vendors that erase as jobs: starts a request's follow-up on the jobs topic once its
/// `completed` outcome is out, checks each job when it is due through its vendor's lane, and publishes the request's
/// confirmation once every job has ended.
///
/// The state lives in Kafka alone, as a signed record per request on the jobs topic: a record is taken up by the one
/// consumer its partition is assigned to, written again with the jobs' new state before its offset is stored, and so
/// survives restarts, rebalances and scale-out.
struct JobFollower: Sendable {
    let lanes: [VendorID: VendorLane]
    let schedules: [VendorID: HTTPVendorDefinition.Job]
    let topics: ErasureRelayService.Topics
    let signer: RecordSigner
    let publisher: RecordPublisher
    let metrics: RelayMetrics

    /// - Parameters:
    ///   - lanes: every vendor's lane; those of vendors that follow jobs are kept.
    ///   - schedules: each job vendor's `job` definition, for its check interval and give-up time.
    init(
        lanes: [VendorLane],
        schedules: [VendorID: HTTPVendorDefinition.Job],
        topics: ErasureRelayService.Topics,
        signer: RecordSigner,
        publisher: RecordPublisher,
        metrics: RelayMetrics
    ) {
        self.lanes = Dictionary(
            uniqueKeysWithValues: lanes.filter { $0.followsJobs && schedules[$0.vendor] != nil }.map { ($0.vendor, $0) }
        )
        self.schedules = schedules
        self.topics = topics
        self.signer = signer
        self.publisher = publisher
        self.metrics = metrics
    }

    /// Whether any configured vendor erases as jobs, so that the jobs topic is read.
    var followsJobs: Bool { !lanes.isEmpty }

    /// Checks the jobs of `followUp` that are due, gives up those past their time, and writes the follow-up again,
    /// or publishes its confirmation once every job has ended.
    /// - Parameter position: where `followUp` was read on the jobs topic; the record written next follows it.
    /// - Returns: true once what it wrote was acknowledged; false when a lane or the publisher abandoned the work, so
    ///   that the record is read again.
    func follow(
        _ followUp: JobFollowUp,
        writtenFrom position: Outcome.Source,
        logger: Logger
    ) async throws(KafkaError) -> Bool {
        var followUp = followUp
        followUp.follows = position
        let now = Timestamp.now()
        var due: [Int] = []
        for index in followUp.jobs.indices where !followUp.jobs[index].hasEnded {
            let job = followUp.jobs[index]
            if lanes[job.vendor] == nil || schedules[job.vendor] == nil {
                followUp.jobs[index].end(.unconfirmed, at: now, error: "the vendor does not erase as jobs here")
            } else if job.giveUpAt <= now {
                let lastCheck = job.error.map { "; last check: \($0)" } ?? ""
                followUp.jobs[index].end(
                    .unconfirmed,
                    at: now,
                    error: "no status check said done or failed within give_up_after_seconds" + lastCheck
                )
            } else if job.jobID == nil {
                followUp.jobs[index].end(.unconfirmed, at: now, error: "no job to follow")
            } else if job.nextCheckAt <= now {
                due.append(index)
            }
        }
        let checked = await withTaskGroup(of: (Int, VendorResult?).self) { group in
            for index in due {
                let job = followUp.jobs[index]
                group.addTask { (index, await lanes[job.vendor]!.checkJob(job.jobID!)) }
            }
            var checked: [(Int, VendorResult?)] = []
            for await result in group { checked.append(result) }
            return checked
        }
        for (index, result) in checked {
            guard let result else { return false }
            record(result, of: &followUp.jobs[index], now: .now())
        }
        return try await write(followUp, logger: logger)
    }

    /// Writes `followUp` to the jobs topic, signed, for its next check; or, once every job has ended, publishes its
    /// confirmation instead.
    /// - Returns: true once the broker acknowledged what was written.
    func write(_ followUp: JobFollowUp, logger: Logger) async throws(KafkaError) -> Bool {
        if followUp.hasEnded { return try await confirm(followUp, logger: logger) }
        let written = try await publisher.publishSigned(
            topic: topics.jobs,
            key: followUp.requestID,
            value: followUp.jsonBytes(),
            signer: signer,
            logger: logger
        )
        return written == .acknowledged
    }

    /// What one status check found, applied to its job. Only the vendor's `done` confirms a job; a check that named
    /// no state leaves the job running, to be checked again.
    private func record(_ result: VendorResult, of job: inout FollowedJob, now: Timestamp) {
        let schedule = schedules[job.vendor]!
        job.checks = min(job.checks + 1, RequestProgress.maxCount)
        var next = now.adding(seconds: Int64(schedule.checkEverySeconds))
        switch (result.status, result.jobState) {
        case (.accepted, .done?):
            metrics.jobChecked(job.vendor, found: "done")
            job.end(.confirmed, at: now)
            return
        case (.accepted, .failed(let reason)?):
            metrics.jobChecked(job.vendor, found: "failed")
            job.end(.failed, at: now, error: reason)
            return
        case (.accepted, .running?):
            metrics.jobChecked(job.vendor, found: "running")
            job.error = nil
        default:
            metrics.jobChecked(job.vendor, found: "check_failed")
            job.error = String((result.error ?? "the status check failed").prefix(RequestProgress.maxTextLength / 2))
            if let notBefore = result.notBefore { next = max(next, notBefore) }
        }
        job.nextCheckAt = min(next, job.giveUpAt)
    }

    /// Publishes the confirmation of `followUp`, whose jobs have all ended, to the outcome topic, signed as outcomes
    /// are.
    private func confirm(_ followUp: JobFollowUp, logger: Logger) async throws(KafkaError) -> Bool {
        let confirmation = ErasureConfirmation(followUp, confirmedAt: .now())
        let published = try await publisher.publishSigned(
            topic: topics.outcomes,
            key: followUp.requestID,
            value: confirmation.jsonBytes(),
            signer: signer,
            logger: logger
        )
        guard published == .acknowledged else { return false }
        metrics.confirmationPublished(confirmation.status)
        logger.info(
            "ErasureConfirmation published",
            metadata: [
                LoggingKeys.status: "\(confirmation.status.rawValue)",
                "vendors":
                    "\(confirmation.vendors.map { "\($0.vendor.rawValue)=\($0.status.rawValue)" }.joined(separator: ","))",
            ]
        )
        return true
    }
}

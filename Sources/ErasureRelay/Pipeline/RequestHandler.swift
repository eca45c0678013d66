import Kafka
import Logging

/// What becomes of one message: decoded, erased at the vendors still owed, then completed, parked or failed, with
/// its outcome or its parked record acknowledged by the broker before the message counts as done.
struct RequestHandler: Sendable {
    let topics: ErasureRelayService.Topics
    let decoder: RequestDecoder
    let processor: RequestProcessor
    let parking: ParkingPolicy
    let signer: RecordSigner
    let publisher: RecordPublisher
    let follower: JobFollower
    let metrics: RelayMetrics
    let observer: (@Sendable (Outcome) -> Void)?

    /// Handles `record` to the end.
    /// - Parameter deadlineKnown: told the request's deadline once it is decoded.
    /// - Returns: true when the message is done; false when its work was abandoned (shutdown, revocation) and it
    ///   must be read again.
    /// - Throws: the producer's fatal error.
    func handle(
        _ record: ConsumedRecord,
        logger: Logger,
        deadlineKnown: (Timestamp) -> Void
    ) async throws(KafkaError) -> Bool {
        let message = record.message
        let readAt = ContinuousClock.now
        let read = Outcome.Source(
            topic: message.topicPartition.topic,
            partition: message.topicPartition.partition,
            offset: message.offset
        )
        switch record.job {
        case .success(let followUp)?:
            var logger = logger
            logger[metadataKey: LoggingKeys.requestID] = "\(followUp.requestID)"
            if let continuedAt = record.continuedAt {
                logger.info(
                    "Deletion jobs already followed from an earlier record; this copy is skipped",
                    metadata: ["continued_at": "\(continuedAt)"]
                )
                return true
            }
            return try await follower.follow(followUp, writtenFrom: read, logger: logger)
        case .failure(let error)?:
            return try await reject(
                message,
                error,
                salvage: RequestDecoder.Salvage(requestID: nil, regulation: nil),
                progress: RequestProgress(receivedAt: .now(), source: read),
                readAt: readAt,
                logger: logger
            )
        case nil:
            break
        }
        let decoded = decoder.decode(message.value)
        let progress: RequestProgress
        switch record.retry {
        case nil:
            progress = RequestProgress(receivedAt: .now(), source: read)
        case .success(let retry):
            progress = retry.progress ?? RequestProgress(receivedAt: .now(), source: read)
        case .failure(let error):
            // Nothing of a record whose progress is not verified is trusted, its request id included: an outcome
            // under that id would stand, in the report, for the genuine request of that id.
            let fresh = RequestProgress(receivedAt: .now(), source: read)
            return try await reject(
                message,
                error,
                salvage: RequestDecoder.Salvage(requestID: nil, regulation: nil),
                progress: fresh,
                readAt: readAt,
                logger: logger
            )
        }
        switch decoded {
        case .failure(let rejected):
            return try await reject(
                message,
                rejected.rejection,
                salvage: rejected.salvage,
                progress: progress,
                readAt: readAt,
                logger: logger
            )
        case .success(let request):
            var logger = logger
            logger[metadataKey: LoggingKeys.requestID] = "\(request.requestID)"
            deadlineKnown(request.deadline)
            return try await erase(request, message: message, progress: progress, readAt: readAt, logger: logger)
        }
    }

    private func reject(
        _ message: KafkaMessage,
        _ rejection: RequestRejection,
        salvage: RequestDecoder.Salvage,
        digest: String? = nil,
        progress: RequestProgress,
        vendors: [VendorResult] = [],
        readAt: ContinuousClock.Instant,
        logger: Logger
    ) async throws(KafkaError) -> Bool {
        var logger = logger
        if let requestID = salvage.requestID { logger[metadataKey: LoggingKeys.requestID] = "\(requestID)" }
        logger.info(
            "Request rejected",
            metadata: [LoggingKeys.error: "\(rejection.code)", "field": "\(rejection.field ?? "-")"]
        )
        let copied = try await publisher.publishDeadLetter(
            topic: topics.deadLetters,
            key: message.key,
            value: message.value,
            upstream: RecordHeaders.upstream(of: message),
            own: RecordHeaders.error(code: rejection.code.rawValue, field: rejection.field, message: rejection.message)
                + RequestProgress.sourceHeaders(progress.source),
            logger: logger
        )
        guard copied == .acknowledged else { return false }
        metrics.deadLettered(code: rejection.code.rawValue)
        let outcome = Outcome(
            requestID: salvage.requestID,
            requestDigest: digest ?? salvage.requestID.map { _ in signer.digest(ofMessage: message.value) },
            status: .rejected,
            regulation: salvage.regulation,
            receivedAt: progress.receivedAt,
            completedAt: .now(),
            deadline: nil,
            vendors: vendors,
            error: Outcome.Rejection(rejection),
            source: progress.source
        )
        return try await publish(outcome, readAt: readAt, logger: logger)
    }

    /// Calls the vendors still owed an erasure, then completes the request, parks what may still succeed, or fails
    /// it with a dead-letter record.
    private func erase(
        _ request: ErasureRequest,
        message: KafkaMessage,
        progress: RequestProgress,
        readAt: ContinuousClock.Instant,
        logger: Logger
    ) async throws(KafkaError) -> Bool {
        guard let latest = await processor.process(request, vendors: progress.pendingVendors) else { return false }
        let salvage = RequestDecoder.Salvage(requestID: request.requestID, regulation: request.regulation)
        let digest = signer.digest(of: request)
        if progress.results.isEmpty, latest.allSatisfy({ $0.status == .skipped }) {
            // Not one vendor could act: reporting this `completed` would certify an erasure that never happened.
            let targets = latest.map(\.vendor.rawValue).joined(separator: ", ")
            let rejection = RequestRejection(
                code: .noRoutableIdentifier,
                field: "subject",
                message: latest.isEmpty
                    ? "no vendor is targeted"
                    : "holds no identifier that any of the request's vendors takes (\(targets))"
            )
            return try await reject(
                message,
                rejection,
                salvage: salvage,
                digest: digest,
                progress: progress,
                vendors: latest,
                readAt: readAt,
                logger: logger
            )
        }
        let results = progress.merging(latest)
        let outcome = { (status: Outcome.Status) in
            Outcome(
                requestID: request.requestID,
                requestDigest: digest,
                status: status,
                regulation: request.regulation,
                submittedAt: request.submittedAt,
                receivedAt: progress.receivedAt,
                completedAt: .now(),
                deadline: request.deadline,
                vendors: results,
                error: nil,
                source: progress.source
            )
        }
        var decision = parking.decide(results: results, parks: progress.parks, deadline: request.deadline, now: .now())
        if case .park(let vendors, let notBefore) = decision {
            var parked = progress
            parked.parks += 1
            parked.notBefore = notBefore
            parked.pendingVendors = vendors
            parked.results = results
            let written = try await publisher.publish(
                topic: topics.retries,
                key: Array(request.requestID.utf8),
                value: message.value,
                headers: signer.signing(
                    value: message.value,
                    headers: RecordHeaders.upstream(of: message) + parked.headers
                ),
                logger: logger
            )
            switch written {
            case .acknowledged:
                metrics.requestParked(vendors: vendors)
                logger.info(
                    "Vendors still failing; request parked",
                    metadata: [
                        "vendors": "\(vendors.map(\.rawValue).joined(separator: ","))",
                        "parks": "\(parked.parks)", "not_before": "\(notBefore.rfc3339)",
                    ]
                )
                return true
            case .abandoned:
                return false
            case .tooLarge:
                decision = parking.parkingRefused(results: results)
            }
        }
        switch decision {
        case .completed:
            let completed = outcome(.completed)
            guard try await publish(completed, readAt: readAt, logger: logger) else { return false }
            // Published after the outcome, so that a job is followed only for a request reported completed; a crash
            // between the two reads the request again, and its outcome is published once more.
            guard
                let followUp = JobFollowUp(
                    following: completed,
                    results: results,
                    schedules: follower.schedules,
                    now: completed.completedAt
                )
            else { return true }
            return try await follower.write(followUp, logger: logger)
        case .park:
            // Parking ended above, or became a failure; never report a parked request as done.
            return false
        case .failed(let failure, let vendors):
            var record = progress
            record.notBefore = nil
            record.pendingVendors = vendors
            record.results = results
            let own = record.headers + RecordHeaders.error(code: failure.rawValue, field: nil, message: failure.message)
            let signed = signer.signing(value: message.value, headers: own)
            let written = try await publisher.publishDeadLetter(
                topic: topics.deadLetters,
                key: Array(request.requestID.utf8),
                value: message.value,
                upstream: RecordHeaders.upstream(of: message),
                own: signed,
                logger: logger
            )
            guard written == .acknowledged else { return false }
            metrics.deadLettered(code: failure.rawValue)
            var failed = outcome(.failed)
            failed.error = Outcome.Rejection(code: failure.rawValue, field: nil, message: failure.message)
            return try await publish(failed, readAt: readAt, logger: logger)
        }
    }

    /// Publishes `outcome`; true once the broker acknowledged it.
    private func publish(
        _ outcome: Outcome,
        readAt: ContinuousClock.Instant,
        logger: Logger
    ) async throws(KafkaError) -> Bool {
        let publishStarted = ContinuousClock.now
        // Signed like parked work: the outcome topic is the compliance record, and `report` counts only what one
        // of the relay's keys signed.
        let published = try await publisher.publishSigned(
            topic: topics.outcomes,
            key: outcome.requestID,
            value: outcome.jsonBytes(),
            signer: signer,
            logger: logger
        )
        guard published == .acknowledged else { return false }
        let acknowledgedAt = ContinuousClock.now
        metrics.outcomeAcknowledged(after: acknowledgedAt - publishStarted)
        metrics.outcomePublished(outcome.status, after: acknowledgedAt - readAt)
        for result in outcome.vendors { metrics.vendorResult(result) }
        logger.info(
            "Outcome published",
            metadata: [
                LoggingKeys.status: "\(outcome.status.rawValue)",
                "vendors":
                    "\(outcome.vendors.map { "\($0.vendor.rawValue)=\($0.status.rawValue)" }.joined(separator: ","))",
            ]
        )
        observer?(outcome)
        return true
    }
}

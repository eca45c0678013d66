extension JobFollowUp {
    /// The follow-up of a `completed` outcome: one job per id each job vendor's result names, and an `unconfirmed`
    /// one for each accepted erasure that named none. Nil when no vendor of the outcome erases as jobs.
    /// - Parameters:
    ///   - outcome: the request's `completed` outcome.
    ///   - results: every vendor's latest result, earlier passes' included.
    ///   - schedules: the `job` definition of each vendor that erases as jobs.
    ///   - now: when the outcome was made; the first checks and the give-up times count from it.
    public init?(
        following outcome: Outcome,
        results: [VendorResult],
        schedules: [VendorID: HTTPVendorDefinition.Job],
        now: Timestamp
    ) {
        guard let requestID = outcome.requestID, let regulation = outcome.regulation else { return nil }
        var jobs: [FollowedJob] = []
        for result in results where result.status == .accepted {
            guard let schedule = schedules[result.vendor] else { continue }
            let giveUpAt = now.adding(seconds: Int64(schedule.giveUpAfterSeconds))
            let firstCheck = min(now.adding(seconds: Int64(schedule.checkEverySeconds)), giveUpAt)
            let ids = (result.reference ?? "").split(separator: ",").map(String.init)
            // An id that held the person's identifier was scrubbed: what is left names no job of theirs.
            let scrubbed = ids.filter { $0.contains(VendorText.placeholder) }.count
            for id in ids where !id.contains(VendorText.placeholder) {
                jobs.append(
                    FollowedJob(
                        vendor: result.vendor,
                        jobID: id,
                        state: .following,
                        nextCheckAt: firstCheck,
                        giveUpAt: giveUpAt
                    )
                )
            }
            let untraced = (result.untracedJobs ?? 0) + scrubbed
            if untraced > 0 {
                var job = FollowedJob(
                    vendor: result.vendor,
                    jobID: nil,
                    state: .following,
                    nextCheckAt: now,
                    giveUpAt: now
                )
                job.end(.unconfirmed, at: now, error: "\(untraced) accepted call(s) named no job to follow")
                jobs.append(job)
            }
        }
        guard !jobs.isEmpty else { return nil }
        self.init(
            requestID: requestID,
            requestDigest: outcome.requestDigest,
            regulation: regulation,
            submittedAt: outcome.submittedAt,
            completedAt: outcome.completedAt,
            source: outcome.source,
            jobs: jobs
        )
    }
}

extension DeclaredVendorAdapter {
    public var followsJobs: Bool { definition.job != nil }

    /// A job's status check: its call carries the job's id, and nothing of the person the job erases.
    public func jobStatusItem(for jobID: String) -> VendorItem? {
        guard definition.job != nil, !jobID.isEmpty, jobID.utf8.count <= HTTPVendorDefinition.maxJobIDBytes else {
            return nil
        }
        var item = VendorItem(
            kind: HTTPVendorDefinition.jobID,
            payload: Self.encode([HTTPVendorDefinition.jobID: jobID]),
            values: [],
            carried: [jobID],
            identifierCount: 0
        )
        item.travelsAlone = true
        return item
    }

    /// A status answer: only a success whose state is one the definition lists says anything of the job. A
    /// throttled or failing vendor is retried as for any call; any other answer fails the check, never the job.
    public func jobChecked(_ response: VendorResponse, for item: VendorItem) -> JobCheck? {
        guard let job = definition.job, item.kind == HTTPVendorDefinition.jobID else { return nil }
        if let transient = RetryHints.transient(response) { return .answered(transient) }
        guard (200...299).contains(response.status) else {
            return .answered(.rejected(reason: "job status answered HTTP \(response.status)", isolateItems: false))
        }
        let json = response.body.withUnsafeBufferPointer { try? JSONValue.parse($0, maxDepth: 64) }
        guard let json, let value = job.state.value(in: json), let text = Self.text(of: value),
            let state = job.reading(text)
        else {
            return .answered(
                .rejected(
                    reason: "job status answer holds no state the definition lists at \(job.state)",
                    isolateItems: false
                )
            )
        }
        return .state(state)
    }
}

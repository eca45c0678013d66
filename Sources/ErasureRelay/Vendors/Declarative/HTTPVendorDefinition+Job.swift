import NIOHTTP1

extension HTTPVendorDefinition {
    /// `job`: for a vendor that takes an erasure as a job finishing later (Segment's regulations, Mixpanel's data
    /// deletions), how to ask for the job's state. The accepted answer's `answers.reference` is the job's id; the
    /// relay asks for its state as `{job_id}` until the vendor says it is done or failed, or `give_up_after_seconds`
    /// pass, and publishes a confirmation record for the request.
    public struct Job: Sendable {
        public var method: HTTPMethod
        public var path: TemplateText
        public var query: [(name: String, value: TemplateText)]
        /// `state`: where the status answer holds the job's state.
        public var state: JSONPath
        /// `running`, `done`, `failed`: the states that mean each. Any other state proves nothing: the check is
        /// tried again until the job gives up.
        public var running: Set<String>
        public var done: Set<String>
        public var failed: Set<String>
        /// `check_every_seconds`: how long between two checks of one job.
        public var checkEverySeconds: Int
        /// `give_up_after_seconds`: how long after the erasure was accepted the job counts as `unconfirmed`.
        public var giveUpAfterSeconds: Int

        /// What a job state says, as the lane reads it from a status answer.
        public func reading(_ text: String) -> JobState? {
            if done.contains(text) { return .done }
            // Only the definition's own words are repeated: the follower holds no identifier to scrub the vendor's
            // free text of, so nothing else of the answer reaches the confirmation.
            if failed.contains(text) { return .failed(reason: "the vendor reports the job \(text)") }
            if running.contains(text) { return .running }
            return nil
        }
    }

    /// The placeholder of a job's id in `job.status.url`, and the kind of the items that check a job.
    public static let jobID = "job_id"
    /// The longest job id followed: vendors' ids are tens of characters, and a reference is kept to 128.
    static let maxJobIDBytes = VendorText.maxReferenceLength
}

extension HTTPVendorDefinition.Job {
    init(
        node: ConfigNode,
        reference: JSONPath?,
        settings: [String: String],
        secrets: Set<String>
    )
        throws(ConfigurationError)
    {
        guard reference != nil else {
            throw ConfigurationError(
                key: node.path.replacingSuffix("job", with: "answers.reference"),
                message: "is required with job: the path of the job's id in the accepted answer"
            )
        }
        guard let status = try node.child("status") else {
            throw ConfigurationError(
                key: node.qualified("status"),
                message: "is required: the call that asks for a job's state, with {job_id} in its url"
            )
        }
        (method, path, query) = try HTTPVendorDefinition.methodAndURL(status)
        try status.rejectUnknownKeys()
        let uses = path.placeholders + query.flatMap(\.value.placeholders)
        let known = Set(settings.keys).union(["now", HTTPVendorDefinition.jobID])
        for name in uses {
            if secrets.contains(name) {
                throw ConfigurationError(
                    key: status.qualified("url"),
                    message: "names the secret {\(name)}: a secret goes only where request.auth puts it"
                )
            }
            guard known.contains(name) else {
                throw ConfigurationError(
                    key: status.qualified("url"),
                    message: "has an unknown placeholder {\(name)}; known here: "
                        + known.sorted().map { "{\($0)}" }.joined(separator: ", ")
                )
            }
        }
        guard uses.contains(HTTPVendorDefinition.jobID) else {
            throw ConfigurationError(
                key: status.qualified("url"),
                message: "never sends {job_id}: an answer to a call about no job proves nothing about this one"
            )
        }
        let statePath = try node.requiredString("state")
        guard let state = JSONPath(statePath) else {
            throw ConfigurationError(key: node.qualified("state"), message: "must be a path such as data.status")
        }
        self.state = state
        func states(_ key: String, required: Bool) throws(ConfigurationError) -> Set<String> {
            let values = try node.stringList(key) ?? []
            if required, values.isEmpty {
                throw ConfigurationError(
                    key: node.qualified(key),
                    message: "is required: the states, as the status answer writes them, that mean \(key)"
                )
            }
            for value in values
            where value.isEmpty || value.utf8.count > 64
                || !value.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) })
            {
                throw ConfigurationError(
                    key: node.qualified(key),
                    message: "must hold states of 1 to 64 printable ASCII characters"
                )
            }
            return Set(values)
        }
        running = try states("running", required: false)
        done = try states("done", required: true)
        failed = try states("failed", required: false)
        for (key, overlap) in [
            ("running", running.intersection(done).union(running.intersection(failed))),
            ("failed", failed.intersection(done)),
        ] where !overlap.isEmpty {
            throw ConfigurationError(
                key: node.qualified(key),
                message: "shares the state \(overlap.sorted()[0]) with another list: a state means one thing"
            )
        }
        checkEverySeconds = try node.int("check_every_seconds", in: 1...86_400) ?? 3_600
        giveUpAfterSeconds = try node.int("give_up_after_seconds", in: 60...31_536_000) ?? 2_592_000
        guard giveUpAfterSeconds >= checkEverySeconds else {
            throw ConfigurationError(
                key: node.qualified("give_up_after_seconds"),
                message: "must be at least check_every_seconds (\(checkEverySeconds)): a job is checked at least once"
            )
        }
        try node.rejectUnknownKeys()
    }
}

extension String {
    /// The path with its last component `last` replaced by `replacement`, for naming a sibling key.
    fileprivate func replacingSuffix(_ last: String, with replacement: String) -> String {
        hasSuffix(last) ? String(dropLast(last.count)) + replacement : replacement
    }
}

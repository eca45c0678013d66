import Synchronization

/// The deletion jobs a stand-in took, each running as ``SandboxConfiguration/jobFate(of:)`` decides for the
/// identifiers it erases: `running` for a number of status calls, then done or failed.
public final class SandboxJobs: Sendable {
    /// Where a job stands when its status is asked for.
    public enum Stage: Sendable, Hashable {
        case running
        case done
        case failed
    }

    private let jobs = Mutex<(created: Int, fates: [String: (runningChecks: Int, fails: Bool)])>((0, [:]))
    private let prefix: String

    /// - Parameter prefix: what each job's id starts with, before its number.
    public init(prefix: String) {
        self.prefix = prefix
    }

    /// Takes a job erasing `identifiers`.
    /// - Returns: the job's id.
    public func create(erasing identifiers: [String]) -> String {
        let fate = SandboxConfiguration.jobFate(of: identifiers)
        return jobs.withLock { jobs in
            jobs.created += 1
            let id = "\(prefix)\(jobs.created)"
            jobs.fates[id] = fate
            return id
        }
    }

    /// Answers one status call about the job `id`: each call while it runs counts down.
    /// - Returns: the job's stage; nil for an id no job has.
    public func check(_ id: String) -> Stage? {
        jobs.withLock { jobs in
            guard let fate = jobs.fates[id] else { return nil }
            if fate.runningChecks > 0 {
                jobs.fates[id]!.runningChecks -= 1
                return .running
            }
            return fate.fails ? .failed : .done
        }
    }
}

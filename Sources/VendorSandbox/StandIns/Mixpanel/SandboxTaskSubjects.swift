import Synchronization

/// The distinct ids of each deletion task Mixpanel's stand-in took, which its status answers list as the real API
/// does: an answer that echoes the person, which nothing of the relay's may repeat.
final class SandboxTaskSubjects: Sendable {
    private let subjects = Mutex<[String: [String]]>([:])

    func remember(_ ids: [String], for task: String) {
        subjects.withLock { $0[task] = ids }
    }

    func subjects(of task: String) -> [String] {
        subjects.withLock { $0[task] ?? [] }
    }
}

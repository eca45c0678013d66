import Testing

/// The suites that drive lanes against the sandbox over real HTTP, run one test at a time: some check quotas counted
/// on arrival, with a margin of a few milliseconds per one-second window, which the load of the others running
/// beside them on a small machine would eat into.
@Suite("Against the sandbox, one test at a time", .serialized)
struct AgainstTheSandbox {}

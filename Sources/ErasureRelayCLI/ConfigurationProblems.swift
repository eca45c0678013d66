import ArgumentParser
import ErasureRelay

/// Several configuration problems, one line each.
struct ConfigurationProblems: Error, CustomStringConvertible {
    let problems: [ConfigurationError]

    var description: String {
        problems.count == 1
            ? "\(problems[0])"
            : "\(problems.count) problems:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

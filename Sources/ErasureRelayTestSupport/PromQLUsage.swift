import Foundation

/// What one PromQL expression asks of the relay's metrics: which metrics it names, which labels it groups or matches
/// on, and which label values it matches. Enough PromQL for the shipped alerts and dashboard, not a parser.
public struct PromQLUsage: Sendable {
    public let expression: String

    public init(_ expression: String) {
        self.expression = expression
    }

    /// The relay metrics the expression names.
    public var metrics: [String] {
        var seen: Set<String> = []
        return expression.matches(of: /erasure_relay_[a-z0-9_]+/).map { String($0.output) }
            .filter { seen.insert($0).inserted }
    }

    /// The labels `metric` must carry: those the expression groups by, and those it matches `metric` on.
    public func labels(of metric: String) -> Set<String> {
        var labels: Set<String> = []
        for grouping in expression.matches(of: /\b(?:by|without)\s*\(([^)]*)\)/) {
            for label in grouping.output.1.split(separator: ",") {
                labels.insert(label.trimmingCharacters(in: .whitespaces))
            }
        }
        labels.formUnion(matchers(of: metric).map(\.label))
        return labels
    }

    /// The `label="value"` matchers the expression applies to `metric`.
    public func matchers(of metric: String) -> [(label: String, value: String)] {
        var matchers: [(String, String)] = []
        for selector in expression.matches(of: /(erasure_relay_[a-z0-9_]+)\{([^}]*)\}/)
        where selector.output.1 == metric {
            for matcher in selector.output.2.matches(of: /([a-z_]+)\s*=\s*"([^"]*)"/) {
                matchers.append((String(matcher.output.1), String(matcher.output.2)))
            }
        }
        return matchers
    }
}

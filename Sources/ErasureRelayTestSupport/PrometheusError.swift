import Foundation

public enum PrometheusError: Error, CustomStringConvertible {
    case notReady(log: String)
    case queryFailed(expression: String, answer: String)
    case noResult(expression: String)

    public var description: String {
        switch self {
        case .notReady(let log): "Prometheus did not become ready:\n\(log)"
        case .queryFailed(let expression, let answer): "query \(expression) failed: \(answer)"
        case .noResult(let expression): "query \(expression) never returned a sample"
        }
    }
}

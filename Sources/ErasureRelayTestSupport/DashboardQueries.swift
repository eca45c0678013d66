import Foundation

/// Every query of a Grafana dashboard's panels.
public struct DashboardQueries: Sendable {
    public let expressions: [String]

    public init(file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let dashboard = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
    }
}

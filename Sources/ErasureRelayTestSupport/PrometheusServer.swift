import Foundation

/// A real Prometheus server (Debian's `prometheus` package) on loopback, scraping one target every second and
/// loading the rule files it is given, so that tests can ask it what an operator's Prometheus would see.
public final class PrometheusServer: Sendable {
    public let baseURL: String
    private let process: ChildProcess
    private let directory: URL
    private let http = RawHTTP()

    /// Starts Prometheus scraping `target` (`host:port`) as job `job`, and waits until it is ready.
    public init(scraping target: String, job: String, ruleFiles: [String] = []) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let rules = ruleFiles.map { "  - \($0)" }.joined(separator: "\n")
        let configuration = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
            \(rules.isEmpty ? "  []" : rules)
            scrape_configs:
              - job_name: \(job)
                static_configs:
                  - targets: ["\(target)"]
            """
        let configurationFile = directory.appendingPathComponent("prometheus.yml")
        try configuration.write(to: configurationFile, atomically: true, encoding: .utf8)
        self.directory = directory
        // The port is free when asked for, but another test may take it before Prometheus binds it: try another.
        var attempt = 0
        while true {
            attempt += 1
            let port = try LoopbackPort.unused()
            let process = try ChildProcess(
                "/usr/bin/prometheus",
                [
                    "--config.file=\(configurationFile.path)",
                    "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                    "--web.listen-address=127.0.0.1:\(port)",
                    "--log.level=warn",
                ]
            )
            do {
                try await Self.waitUntilReady(process, baseURL: "http://127.0.0.1:\(port)", http: http)
                self.process = process
                self.baseURL = "http://127.0.0.1:\(port)"
                return
            } catch {
                process.signal(SIGKILL)
                _ = try? await process.waitForExit(timeout: .seconds(10))
                guard attempt < 3 else {
                    try? FileManager.default.removeItem(at: directory)
                    throw error
                }
            }
        }
    }

    public func stop() async {
        process.signal(SIGKILL)
        _ = try? await process.waitForExit(timeout: .seconds(10))
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs an instant query; the result's samples, each as its labels and value.
    public func query(_ expression: String) async throws -> [(labels: [String: String], value: String)] {
        var components = URLComponents(string: baseURL + "/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: expression)]
        // `+` is a space in a query string; PromQL's own `+` must arrive as itself.
        let url = components.url!.absoluteString.replacingOccurrences(of: "+", with: "%2B")
        let (status, _, body) = try await http.call(.GET, url)
        guard status == 200,
            let response = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            response["status"] as? String == "success",
            let data = response["data"] as? [String: Any]
        else { throw PrometheusError.queryFailed(expression: expression, answer: body) }
        switch data["result"] {
        case let vector as [[String: Any]]:
            return vector.map { sample in
                let labels = sample["metric"] as? [String: String] ?? [:]
                let value = (sample["value"] as? [Any])?.last as? String ?? ""
                return (labels, value)
            }
        case let scalar as [Any]:
            return [([:], scalar.last as? String ?? "")]
        default:
            throw PrometheusError.queryFailed(expression: expression, answer: body)
        }
    }

    /// The health of each loaded rule by name: `ok`, `err`, or `unknown` before its first evaluation.
    public func ruleHealth() async throws -> [String: String] {
        let (status, _, body) = try await http.call(.GET, baseURL + "/api/v1/rules")
        guard status == 200,
            let response = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let data = response["data"] as? [String: Any],
            let groups = data["groups"] as? [[String: Any]]
        else { throw PrometheusError.queryFailed(expression: "/api/v1/rules", answer: body) }
        var health: [String: String] = [:]
        for rule in groups.flatMap({ $0["rules"] as? [[String: Any]] ?? [] }) {
            if let name = rule["name"] as? String { health[name] = rule["health"] as? String }
        }
        return health
    }

    /// Waits until `expression` returns at least one sample, and returns them.
    public func wait(
        forResultOf expression: String,
        timeout: Duration = .seconds(60)
    ) async throws -> [(labels: [String: String], value: String)] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let samples = try await query(expression)
            if !samples.isEmpty { return samples }
            guard ContinuousClock.now < deadline else { throw PrometheusError.noResult(expression: expression) }
            // The scrape interval's pace: Prometheus only learns something new once a second.
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    private static func waitUntilReady(_ process: ChildProcess, baseURL: String, http: RawHTTP) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning {
            if let ready = try? await http.call(.GET, baseURL + "/-/ready"), ready.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PrometheusError.notReady(log: process.standardError)
    }
}

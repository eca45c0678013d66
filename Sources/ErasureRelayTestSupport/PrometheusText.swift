/// Reads samples out of Prometheus's text exposition format.
public enum PrometheusText {
    /// The value of the sample whose name and labels are exactly `series`, such as
    /// `erasure_relay_outcomes_total{status="completed"}`; nil when there is none.
    ///
    /// Matching the whole series, not a prefix of the line, keeps `consumed_total 2` from matching 20 to 29.
    public static func value(of series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), line[..<space] == series else { continue }
            return Double(line[line.index(after: space)...])
        }
        return nil
    }
}

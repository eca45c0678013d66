import Metrics
import Synchronization

/// A gauge that exists only while there is something to measure: absent, not stale, otherwise.
final class OptionalGauge: Sendable {
    private let present = Mutex(false)

    func update(_ value: Double?, gauge: () -> Gauge) {
        present.withLock { present in
            if let value {
                gauge().record(value)
                present = true
            } else if present {
                gauge().destroy()
                present = false
            }
        }
    }
}

import Foundation

/// Reads what erasure-relay needs from librdkafka's statistics JSON.
public enum ConsumerStatistics {
    /// Consumer lag per partition of `topic`, for partitions where it is known.
    ///
    /// librdkafka reports no lag (-1) for a partition the group never committed, such as a retry partition nothing
    /// was ever parked on. The relay reads such a partition from its earliest offset, so everything from there to the
    /// end is its lag, and an empty partition has a lag of 0 rather than none: the backlog panels and alerts see a
    /// value from the start.
    public static func lag(json: String, topic: String) -> [(partition: Int32, lag: Int64)] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
            let topics = object["topics"] as? [String: Any],
            let entry = topics[topic] as? [String: Any],
            let partitions = entry["partitions"] as? [String: Any]
        else { return [] }
        return partitions.compactMap { key, value in
            guard let partition = Int32(key), partition >= 0, let fields = value as? [String: Any] else { return nil }
            func field(_ name: String) -> Int64? { (fields[name] as? NSNumber)?.int64Value }
            if let lag = field("consumer_lag"), lag >= 0 { return (partition, lag) }
            guard let committed = field("committed_offset"), committed < 0,
                let low = field("lo_offset"), let high = field("hi_offset"), low >= 0, high >= low
            else { return nil }
            return (partition, high - low)
        }
    }
}

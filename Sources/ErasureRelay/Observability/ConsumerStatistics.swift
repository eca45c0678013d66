import Foundation

/// Reads what erasure-relay needs from librdkafka's statistics JSON.
public enum ConsumerStatistics {
    /// Consumer lag per partition of `topic`, for partitions where librdkafka knows it.
    public static func lag(json: String, topic: String) -> [(partition: Int32, lag: Int64)] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
            let topics = object["topics"] as? [String: Any],
            let entry = topics[topic] as? [String: Any],
            let partitions = entry["partitions"] as? [String: Any]
        else { return [] }
        return partitions.compactMap { key, value in
            guard let partition = Int32(key), partition >= 0, let fields = value as? [String: Any],
                let lag = (fields["consumer_lag"] as? NSNumber)?.int64Value, lag >= 0
            else { return nil }
            return (partition, lag)
        }
    }
}

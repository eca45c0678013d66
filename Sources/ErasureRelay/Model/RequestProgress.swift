import Foundation
import Kafka

/// How far a request has come, carried in Kafka headers next to the unchanged request on the retry topic and in
/// dead-letter records, so that the request can be taken up again by any replica, or replayed by an operator.
///
/// Headers hold no identifier values: the vendor results never carry any, and the request itself stays the
/// message value, exactly as upstream wrote it.
public struct RequestProgress: Sendable, Hashable {
    /// When the request was first read.
    public var receivedAt: Timestamp
    /// Where the request was first read: every outcome of the request points there, however often it was parked.
    public var source: Outcome.Source
    /// How often the request has been parked.
    public var parks: Int
    /// The earliest time of the next attempt; nil for at once.
    public var notBefore: Timestamp?
    /// The vendors still owed an erasure; nil for every vendor the request targets.
    public var pendingVendors: [VendorID]?
    /// The latest result of every vendor tried so far.
    public var results: [VendorResult]

    public init(
        receivedAt: Timestamp,
        source: Outcome.Source,
        parks: Int = 0,
        notBefore: Timestamp? = nil,
        pendingVendors: [VendorID]? = nil,
        results: [VendorResult] = []
    ) {
        self.receivedAt = receivedAt
        self.source = source
        self.parks = parks
        self.notBefore = notBefore
        self.pendingVendors = pendingVendors
        self.results = results
    }

    /// The header names, part of the retry and dead-letter topics' format.
    public enum Header {
        /// ``RequestProgress/receivedAt``, RFC 3339.
        public static let receivedAt = "erasure-relay-received-at"
        /// The topic of ``RequestProgress/source``.
        public static let sourceTopic = "erasure-relay-source-topic"
        /// The partition of ``RequestProgress/source``, in decimal.
        public static let sourcePartition = "erasure-relay-source-partition"
        /// The offset of ``RequestProgress/source``, in decimal.
        public static let sourceOffset = "erasure-relay-source-offset"
        /// ``RequestProgress/parks``, in decimal.
        public static let parks = "erasure-relay-parks"
        /// ``RequestProgress/notBefore``, RFC 3339.
        public static let notBefore = "erasure-relay-not-before"
        /// ``RequestProgress/pendingVendors``, comma-separated vendor names.
        public static let pendingVendors = "erasure-relay-pending-vendors"
        /// ``RequestProgress/results``, a JSON array of vendor results without identifiers.
        public static let results = "erasure-relay-results"
    }

    /// The progress as headers. The source headers match those of a rejected message's dead-letter copy.
    public var headers: [KafkaHeader] {
        var headers =
            [KafkaHeader(name: Header.receivedAt, value: receivedAt.rfc3339)] + Self.sourceHeaders(source) + [
                KafkaHeader(name: Header.parks, value: "\(parks)"),
                KafkaHeader(name: Header.results, value: Self.encode(results)),
            ]
        if let notBefore { headers.append(KafkaHeader(name: Header.notBefore, value: notBefore.rfc3339)) }
        if let pendingVendors {
            headers.append(
                KafkaHeader(
                    name: Header.pendingVendors,
                    value: pendingVendors.map(\.rawValue).joined(separator: ",")
                )
            )
        }
        return headers
    }

    /// The headers that say where a request was first read, as every dead-letter record carries them.
    public static func sourceHeaders(_ source: Outcome.Source) -> [KafkaHeader] {
        [
            KafkaHeader(name: Header.sourceTopic, value: source.topic),
            KafkaHeader(name: Header.sourcePartition, value: "\(source.partition)"),
            KafkaHeader(name: Header.sourceOffset, value: "\(source.offset)"),
        ]
    }

    /// Reads progress from a message's headers.
    /// - Returns: nil when the message carries no progress (a request as upstream wrote it, or a rejected
    ///   message's dead-letter copy).
    /// - Throws: ``RequestRejection`` naming the header at fault when progress is present but unreadable.
    public init?(headers: [KafkaHeader]) throws(RequestRejection) {
        var values: [String: String] = [:]
        for header in headers where header.name.hasPrefix("erasure-relay-") {
            values[header.name] = String(decoding: header.value, as: UTF8.self)
        }
        guard values[Header.parks] != nil else { return nil }
        func required(_ name: String) throws(RequestRejection) -> String {
            guard let value = values[name] else {
                throw RequestRejection(code: .invalidHeader, field: name, message: "is missing")
            }
            return value
        }
        func timestamp(_ name: String, _ text: String) throws(RequestRejection) -> Timestamp {
            guard let timestamp = Timestamp(rfc3339: text) else {
                throw RequestRejection(code: .invalidHeader, field: name, message: "is not an RFC 3339 time")
            }
            return timestamp
        }
        func number<Number: FixedWidthInteger>(_ name: String, as _: Number.Type) throws(RequestRejection) -> Number {
            guard let number = Number(try required(name)), number >= 0 else {
                throw RequestRejection(code: .invalidHeader, field: name, message: "is not a non-negative integer")
            }
            return number
        }
        receivedAt = try timestamp(Header.receivedAt, try required(Header.receivedAt))
        source = Outcome.Source(
            topic: try required(Header.sourceTopic),
            partition: try number(Header.sourcePartition, as: Int32.self),
            offset: try number(Header.sourceOffset, as: Int64.self)
        )
        parks = try number(Header.parks, as: Int.self)
        notBefore = try values[Header.notBefore].map { text throws(RequestRejection) in
            try timestamp(Header.notBefore, text)
        }
        pendingVendors = try values[Header.pendingVendors].map { text throws(RequestRejection) in
            var vendors: [VendorID] = []
            for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let vendor = VendorID(rawValue: String(name)) else {
                    throw RequestRejection(
                        code: .invalidHeader,
                        field: Header.pendingVendors,
                        message: "holds a name that is not a vendor name"
                    )
                }
                vendors.append(vendor)
            }
            return vendors
        }
        do {
            results = try JSONDecoder().decode([VendorResult].self, from: Data(try required(Header.results).utf8))
        } catch let rejection as RequestRejection {
            throw rejection
        } catch {
            throw RequestRejection(
                code: .invalidHeader,
                field: Header.results,
                message: "is not a list of vendor results"
            )
        }
        // Counts are added up over passes and texts go into the outcome: bound both before trusting them.
        for result in results where !Self.isPlausible(result) {
            throw RequestRejection(
                code: .invalidHeader,
                field: Header.results,
                message: "holds a count or a text out of range for \(result.vendor.rawValue)"
            )
        }
    }

    /// The most any count in a carried result may be: far above what a request can reach.
    public static let maxCount = 1_000_000
    /// The longest error or reference text a carried result may hold.
    public static let maxTextLength = 1_000

    private static func isPlausible(_ result: VendorResult) -> Bool {
        let counts = [result.attempts, result.identifiers] + [result.deleted, result.untracedJobs].compactMap { $0 }
        let texts = [result.error, result.reference].compactMap { $0 }
        return counts.allSatisfy { (0...maxCount).contains($0) }
            && result.httpStatus.map { (100...599).contains($0) } ?? true
            && texts.allSatisfy { $0.utf8.count <= maxTextLength }
    }

    /// Reads only the time of the next attempt, for deciding whether to hold a retry partition before decoding.
    public static func notBefore(of message: KafkaMessage) -> Timestamp? {
        message.header(Header.notBefore).flatMap { Timestamp(rfc3339: $0) }
    }

    /// Adds this pass's results to the earlier ones: a vendor's attempts add up over passes, up to ``maxCount``, and
    /// its latest result replaces the earlier one.
    public func merging(_ latest: [VendorResult]) -> [VendorResult] {
        var merged = Dictionary(results.map { ($0.vendor, $0) }, uniquingKeysWith: { _, last in last })
        for var result in latest {
            // Capped, so that the sum stays within what the next pass accepts from the retry header.
            result.attempts = min(result.attempts + (merged[result.vendor]?.attempts ?? 0), Self.maxCount)
            merged[result.vendor] = result
        }
        return merged.values.sorted { $0.vendor < $1.vendor }
    }

    private static func encode(_ results: [VendorResult]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Vendor results are plain values that always encode.
        return String(decoding: try! encoder.encode(results), as: UTF8.self)
    }
}

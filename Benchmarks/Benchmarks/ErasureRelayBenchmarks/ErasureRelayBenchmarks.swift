import Benchmark
import ErasureRelay
import Foundation

// The work erasure-relay does for every message, outside Kafka and HTTP: decoding and validating it, tracking its
// offset, building the vendor call, scrubbing the vendor's answer and encoding the outcome.
//
// Allocation counts are what CI gates on (Thresholds/), as swift-nio does: unlike timings they do not vary from one
// machine or run to the next. Set BENCHMARK_TIMINGS=1 to measure time and throughput as well.
let benchmarks: @Sendable () -> Void = {
    let timings = ProcessInfo.processInfo.environment["BENCHMARK_TIMINGS"] != nil
    Benchmark.defaultConfiguration = .init(
        metrics: timings ? [.mallocCountTotal, .wallClock, .throughput] : [.mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: timings ? 1000 : 10,
        // Foundation's string searches allocate a few more or fewer times from run to run; 2% absorbs that and
        // still catches an allocation added per identifier or per message.
        thresholds: [.mallocCountTotal: .init(relative: [.p90: 2.0])]
    )

    let decoder = RequestDecoder()
    let request = Array(
        """
        {"request_id":"9f6c2e4a-1d2b-4c3d-8e9f-0a1b2c3d4e5f","regulation":"gdpr",\
        "submitted_at":"2026-11-22T10:00:00Z","deadline":"2026-12-22T10:00:00Z",\
        "subject":{"external_id":"user-123456","email":"someone@example.com","phone":"+4915112345678",\
        "user_aliases":[{"alias_name":"a-1","alias_label":"loyalty_id"}],\
        "engagelab_registration_ids":["1a0018970a1b2c3d"]},"vendors":["braze","moengage_gdpr","engagelab"]}
        """.utf8
    )
    Benchmark("RequestDecoder.decode.validRequest") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(decoder.decode(request))
        }
    }

    // The largest message a partition can hold: 64 KB of nesting must be rejected as cheaply as a small one.
    let nested = Array((String(repeating: "[", count: 32_000) + String(repeating: "]", count: 32_000)).utf8)
    Benchmark("RequestDecoder.decode.nestedArrays64KB", configuration: .init(scalingFactor: .one)) {
        benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(decoder.decode(nested))
        }
    }

    Benchmark("OffsetLedger.reverseCompletion1000", configuration: .init(scalingFactor: .one)) {
        benchmark in
        for _ in benchmark.scaledIterations {
            var ledger = OffsetLedger<Int32>()
            ledger.assign([0])
            let tickets = (0..<1000).compactMap { ledger.track(partition: 0, offset: Int64($0)) }
            for ticket in tickets.reversed() {
                blackHole(ledger.complete(ticket))
            }
        }
    }

    let braze = BrazeAdapter(
        apiKey: Secret("benchmark-key"),
        emailPrioritization: ["identified", "most_recently_updated"],
        userAgent: "erasure-relay/benchmark"
    )
    let emails = (0..<50).map { index in
        braze.items(
            for: ErasureRequest(
                requestID: "r-\(index)",
                regulation: .gdpr,
                submittedAt: Timestamp(millisecondsSinceEpoch: 1_795_000_000_000),
                subject: Subject(email: "person\(index)@example.com")
            )
        )[0]
    }
    let now = Timestamp(millisecondsSinceEpoch: 1_795_000_000_000)
    Benchmark("BrazeAdapter.call.emails50", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(braze.call(for: emails, now: now))
        }
    }

    // A vendor that echoes the batch it was sent: every identifier must be found and replaced.
    let echo = "invalid request: " + emails.flatMap(\.values).joined(separator: ", ")
    Benchmark("VendorText.scrub.echoedBatch50", configuration: .init(scalingFactor: .one)) {
        benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(VendorText.scrub(echo, of: emails))
        }
    }

    let outcome = Outcome(
        requestID: "9f6c2e4a-1d2b-4c3d-8e9f-0a1b2c3d4e5f",
        status: .completed,
        regulation: .gdpr,
        receivedAt: now,
        completedAt: now,
        deadline: now,
        vendors: [
            VendorResult(vendor: .braze, status: .accepted, attempts: 1, httpStatus: 201, identifiers: 3),
            VendorResult(
                vendor: .moengageGDPR,
                status: .accepted,
                attempts: 2,
                httpStatus: 200,
                identifiers: 3,
                reference: "7f4b1c2d"
            ),
            VendorResult(vendor: .engagelab, status: .accepted, attempts: 1, httpStatus: 200, identifiers: 1),
        ],
        error: nil,
        source: .init(topic: "user-erasure", partition: 7, offset: 1_234_567)
    )
    Benchmark("Outcome.jsonBytes.threeVendors") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(outcome.jsonBytes())
        }
    }
}

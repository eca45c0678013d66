import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Strict stand-ins for the vendor APIs erasure-relay calls, each on its own loopback port: a staging tool for
/// trying erasure-relay without touching real vendor accounts, and the counterpart of its tests.
///
/// Each stand-in checks what the real API would reject (auth, method, path, query, content type, body shape, batch
/// and payload size) and answers with that API's documented error; meters calls against a quota and answers 429
/// beyond it; injects faults on request; and records every identifier it deleted.
///
/// Besides the vendor paths, every port serves:
/// - `GET /_sandbox/record`: the ``SandboxRecord`` as JSON;
/// - `POST /_sandbox/faults`: `{"faults": [{"status": 503, "retry_after": 2, "count": 3}, {"delay_ms": 500},
///   {"hang_seconds": 40}, {"reset": true}, {"answer": {"status": 429, "headers": {"Retry-After": "1e21"},
///   "echo": true, "padded_to_bytes": 5000000, "trickle_ms": 50}}]}` queues faults for the next calls (see
///   ``SandboxHostileAnswer``);
/// - `POST /_sandbox/quota`: `{"requests": 10, "window_seconds": 1}` changes the quota;
/// - `POST /_sandbox/reset`: forgets calls, records and faults.
public final class VendorSandbox: Service {
    public let configuration: SandboxConfiguration
    private let logger: Logger
    private let ledgers: [SandboxVendor: SandboxLedger]
    private let standIns: [SandboxVendor: any StandIn]
    private let boundPorts = Mutex<(ports: [SandboxVendor: Int], waiting: [CheckedContinuation<Void, Never>])>(
        ([:], [])
    )

    public init(configuration: SandboxConfiguration = SandboxConfiguration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let credentials = configuration.credentials
        let standIns: [any StandIn] = [
            BrazeStandIn(apiKey: credentials.brazeAPIKey),
            MoEngageStandIn(
                workspaceID: credentials.moengageWorkspaceID,
                apiKey: credentials.moengageAPIKey,
                unknownUserPrefix: configuration.unknownUserPrefix
            ),
            MoEngageGDPRStandIn(appID: credentials.moengageGDPRAppID, apiKey: credentials.moengageGDPRAPIKey),
            EngageLabStandIn(
                appKey: credentials.engagelabAppKey,
                masterSecret: credentials.engagelabMasterSecret,
                unknownUserPrefix: configuration.unknownUserPrefix
            ),
        ]
        self.standIns = Dictionary(uniqueKeysWithValues: standIns.map { ($0.vendor, $0) })
        self.ledgers = Dictionary(
            uniqueKeysWithValues: SandboxVendor.allCases.map { vendor in
                (
                    vendor,
                    SandboxLedger(quota: configuration.quotas[vendor] ?? .init(requests: 1_000_000, windowSeconds: 1))
                )
            }
        )
    }

    /// Serves the four stand-ins until graceful shutdown.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for vendor in SandboxVendor.allCases {
                let application = makeApplication(vendor: vendor)
                group.addTask { try await application.run() }
            }
        }
    }

    /// The base URL of each stand-in, once all of them are listening.
    public func baseURLs() async -> [SandboxVendor: String] {
        await withCheckedContinuation { continuation in
            let ready = boundPorts.withLock { state in
                if state.ports.count == SandboxVendor.allCases.count { return true }
                state.waiting.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
        let ports = boundPorts.withLock { $0.ports }
        return ports.mapValues { "http://\(configuration.host):\($0)" }
    }

    /// What one stand-in has seen so far.
    public func record(of vendor: SandboxVendor) async -> SandboxRecord {
        await ledgers[vendor]!.record
    }

    /// Queues `fault` for the next `count` calls to `vendor`.
    public func inject(_ fault: SandboxFault, count: Int = 1, into vendor: SandboxVendor) async {
        await ledgers[vendor]!.inject(fault, count: count)
    }

    /// Drops the faults still queued for `vendor`: the vendor recovers.
    public func clearFaults(of vendor: SandboxVendor) async {
        await ledgers[vendor]!.clearFaults()
    }

    /// Changes a stand-in's quota.
    public func setQuota(_ quota: SandboxConfiguration.Quota, for vendor: SandboxVendor) async {
        await ledgers[vendor]!.setQuota(quota)
    }

    private func listening(_ vendor: SandboxVendor, port: Int) {
        let waiting = boundPorts.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.ports[vendor] = port
            guard state.ports.count == SandboxVendor.allCases.count else { return [] }
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        logger.info("Vendor sandbox listening", metadata: ["vendor": "\(vendor.rawValue)", "port": "\(port)"])
        for continuation in waiting { continuation.resume() }
    }

    private func makeApplication(vendor: SandboxVendor) -> some ApplicationProtocol {
        let ledger = ledgers[vendor]!
        let standIn = standIns[vendor]!
        let latency = configuration.latencyMilliseconds[vendor] ?? 0
        let quota = configuration.quotas[vendor] ?? .init(requests: 1_000_000, windowSeconds: 1)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            let body = Array(buffer: try await request.collectBody(upTo: 4 << 20))
            let call = Self.sandboxCall(request, body: body)
            if call.rawPath.hasPrefix("/_sandbox/") {
                return try await Self.control(call, ledger: ledger)
            }
            if latency > 0 { try await Task.sleep(for: .milliseconds(latency)) }
            let resetEpoch = Int(Date().timeIntervalSince1970) + Int(quota.windowSeconds)
            var answer: SandboxAnswer
            switch await ledger.admit() {
            case .overQuota(let retryAfter, let resetAt):
                answer = standIn.tooManyRequests(retryAfterSeconds: retryAfter, resetEpochSeconds: resetAt)
            case .fault(.status(let status, let retryAfter)):
                answer = SandboxAnswer.json(status, ["status": "fail", "message": "injected fault"])
                if let retryAfter { answer.headers = [("Retry-After", "\(retryAfter)")] }
            case .fault(.delay(let milliseconds)):
                try await Task.sleep(for: .milliseconds(milliseconds))
                answer = await Self.serve(call, standIn: standIn, ledger: ledger)
            case .fault(.hang(let seconds)):
                try await Task.sleep(for: .seconds(seconds))
                return Self.connectionReset()
            case .fault(.reset):
                return Self.connectionReset()
            case .fault(.answer(let hostile)):
                return Self.hostileResponse(hostile, to: call)
            case .admitted:
                answer = await Self.serve(call, standIn: standIn, ledger: ledger)
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            for (name, value) in standIn.commonHeaders(quota: quota, resetEpochSeconds: resetEpoch) + answer.headers {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            return Response(
                status: .init(code: answer.status),
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: answer.body))
            )
        }
        var appLogger = logger
        // Hummingbird's own per-request lines would drown the sandbox's.
        appLogger.logLevel = max(logger.logLevel, .warning)
        return Application(
            responder: responder,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.ports[vendor] ?? 0),
                serverName: "erasure-relay-sandbox-\(vendor.rawValue)"
            ),
            onServerRunning: { [weak self] channel in
                self?.listening(vendor, port: channel.localAddress?.port ?? 0)
            },
            logger: appLogger
        )
    }

    private static func hostileResponse(_ hostile: SandboxHostileAnswer, to call: SandboxCall) -> Response {
        var body = Array(hostile.body.utf8)
        if hostile.echo { body += Array(call.rawPath.utf8) + [UInt8(ascii: " ")] + call.body }
        if body.count < hostile.paddedToBytes {
            body += repeatElement(UInt8(ascii: " "), count: hostile.paddedToBytes - body.count)
        }
        var headers = HTTPFields()
        for (name, value) in hostile.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        guard hostile.trickleMilliseconds > 0 else {
            return Response(
                status: .init(code: hostile.status),
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
        let pause = hostile.trickleMilliseconds
        let trickled = body
        return Response(
            status: .init(code: hostile.status),
            headers: headers,
            body: ResponseBody { writer in
                for byte in trickled {
                    try await Task.sleep(for: .milliseconds(pause))
                    try await writer.write(ByteBuffer(bytes: [byte]))
                }
                try await writer.finish(nil)
            }
        )
    }

    /// An answer that dies after its head: the body fails, so the server drops the connection mid-response.
    private static func connectionReset() -> Response {
        Response(status: .ok, body: ResponseBody { _ in throw SandboxConnectionReset() })
    }

    private static func serve(_ call: SandboxCall, standIn: any StandIn, ledger: SandboxLedger) async -> SandboxAnswer {
        let answer = standIn.answer(call)
        if let deletion = answer.deletion {
            await ledger.accepted(
                kind: deletion.kind,
                identifiers: deletion.identifiers,
                bodyBytes: call.body.count,
                batchSize: deletion.batchSize
            )
        } else if answer.status != 429 && !answer.unknownUser {
            await ledger.malformed()
        }
        return answer
    }

    private static func control(_ call: SandboxCall, ledger: SandboxLedger) async throws -> Response {
        let body: Data
        switch (call.method, call.rawPath) {
        case ("GET", "/_sandbox/record"):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            body = try encoder.encode(await ledger.record)
        case ("POST", "/_sandbox/faults"):
            let faults = (SandboxParsing.jsonObject(call.body)?["faults"] as? [[String: Any]]) ?? []
            for fault in faults {
                let count = fault["count"] as? Int ?? 1
                if let status = fault["status"] as? Int {
                    await ledger.inject(.status(status, retryAfterSeconds: fault["retry_after"] as? Int), count: count)
                } else if let delay = fault["delay_ms"] as? Int {
                    await ledger.inject(.delay(milliseconds: delay), count: count)
                } else if let hang = fault["hang_seconds"] as? Int {
                    await ledger.inject(.hang(seconds: hang), count: count)
                } else if fault["reset"] as? Bool == true {
                    await ledger.inject(.reset, count: count)
                } else if let answer = fault["answer"] as? [String: Any], let status = answer["status"] as? Int {
                    let hostile = SandboxHostileAnswer(
                        status: status,
                        headers: answer["headers"] as? [String: String] ?? [:],
                        body: answer["body"] as? String ?? "",
                        echo: answer["echo"] as? Bool ?? false,
                        paddedToBytes: min(answer["padded_to_bytes"] as? Int ?? 0, 64 << 20),
                        trickleMilliseconds: answer["trickle_ms"] as? Int ?? 0
                    )
                    await ledger.inject(.answer(hostile), count: count)
                }
            }
            body = Data("{\"queued\":\(faults.count)}".utf8)
        case ("POST", "/_sandbox/quota"):
            let object = SandboxParsing.jsonObject(call.body)
            guard let requests = object?["requests"] as? Int,
                let window = (object?["window_seconds"] as? NSNumber)?.doubleValue
            else { return Response(status: .badRequest) }
            await ledger.setQuota(.init(requests: requests, windowSeconds: window))
            body = Data("{}".utf8)
        case ("POST", "/_sandbox/reset"):
            await ledger.reset()
            body = Data("{}".utf8)
        default:
            return Response(status: .notFound)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func sandboxCall(_ request: Request, body: [UInt8]) -> SandboxCall {
        let target = request.head.path ?? "/"
        let pathEnd = target.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? target.endIndex
        let rawQuery = target[pathEnd...].first == "?" ? String(target[target.index(after: pathEnd)...]) : nil
        var query: [String: String] = [:]
        for pair in (rawQuery ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[parts[0].removingPercentEncoding ?? String(parts[0])] =
                parts.count > 1 ? (parts[1].removingPercentEncoding ?? String(parts[1])) : ""
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        return SandboxCall(
            method: request.method.rawValue,
            rawPath: String(target[..<pathEnd]),
            query: query,
            rawQuery: rawQuery,
            headers: headers,
            body: body
        )
    }
}

/// Thrown to make Hummingbird drop the connection without an answer.
struct SandboxConnectionReset: Error {}

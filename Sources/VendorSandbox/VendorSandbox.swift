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
    private let ledgers: [String: SandboxLedger]
    private let standIns: [String: any StandIn]
    /// Every stand-in's port, quota and latency, by vendor name.
    private let listeners:
        [String: (
            port: Int, quota: SandboxConfiguration.Quota, otherQuotas: [SandboxConfiguration.Quota], latency: Int
        )]
    private let boundPorts = Mutex<(ports: [String: Int], waiting: [CheckedContinuation<Void, Never>])>(([:], []))

    public init(configuration: SandboxConfiguration = SandboxConfiguration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        var standIns = BuiltInStandIn.registry.map { $0.make(configuration.unknownUserPrefix) }
        standIns += configuration.declared.map(DeclaredVendorStandIn.init)
        let unmetered = SandboxConfiguration.Quota(requests: 1_000_000, windowSeconds: 1)
        var listeners:
            [String: (
                port: Int, quota: SandboxConfiguration.Quota, otherQuotas: [SandboxConfiguration.Quota], latency: Int
            )] =
                [:]
        for vendor in SandboxVendor.allCases {
            listeners[vendor.rawValue] = (
                configuration.ports[vendor] ?? 0, configuration.quotas[vendor] ?? unmetered, [],
                configuration.latencyMilliseconds[vendor] ?? 0
            )
        }
        for declared in configuration.declared {
            listeners[declared.name] = (
                declared.port, declared.quota, declared.otherQuotas, declared.latencyMilliseconds
            )
        }
        self.listeners = listeners
        // Later stand-ins of the same name replace earlier ones: a declared vendor cannot take a built-in name.
        self.standIns = Dictionary(standIns.map { ($0.name, $0) }) { _, last in last }
        self.ledgers = listeners.mapValues { SandboxLedger(quota: $0.quota, otherQuotas: $0.otherQuotas) }
    }

    /// Serves every stand-in until graceful shutdown.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for name in listeners.keys.sorted() {
                let application = makeApplication(name: name)
                group.addTask { try await application.run() }
            }
        }
    }

    /// The base URL of each built-in vendor's stand-in, once every stand-in is listening.
    public func baseURLs() async -> [SandboxVendor: String] {
        var urls: [SandboxVendor: String] = [:]
        for (name, url) in await baseURLsByName() {
            if let vendor = SandboxVendor(rawValue: name) { urls[vendor] = url }
        }
        return urls
    }

    /// The base URL of every stand-in, built-in and declared, by vendor name, once all of them are listening.
    public func baseURLsByName() async -> [String: String] {
        await withCheckedContinuation { continuation in
            let ready = boundPorts.withLock { state in
                if state.ports.count == listeners.count { return true }
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
        await record(ofVendorNamed: vendor.rawValue) ?? SandboxRecord()
    }

    /// What the stand-in of the vendor called `name` has seen so far; nil if there is none.
    public func record(ofVendorNamed name: String) async -> SandboxRecord? {
        await ledgers[name]?.record
    }

    /// The calls the stand-in of the vendor called `name` received, in order, when
    /// ``SandboxConfiguration/keepsReceivedCalls`` is set.
    public func receivedCalls(ofVendorNamed name: String) async -> [SandboxReceivedCall] {
        await ledgers[name]?.received ?? []
    }

    /// Forgets what every stand-in has seen: records, received calls, quota arrivals and queued faults.
    public func reset() async {
        for ledger in ledgers.values { await ledger.reset() }
    }

    /// Queues `fault` for the next `count` calls to `vendor`.
    public func inject(_ fault: SandboxFault, count: Int = 1, into vendor: SandboxVendor) async {
        await inject(fault, count: count, intoVendorNamed: vendor.rawValue)
    }

    /// Queues `fault` for the next `count` calls to the vendor called `name`.
    public func inject(_ fault: SandboxFault, count: Int = 1, intoVendorNamed name: String) async {
        await ledgers[name]?.inject(fault, count: count)
    }

    /// Drops the faults still queued for `vendor`: the vendor recovers.
    public func clearFaults(of vendor: SandboxVendor) async {
        await ledgers[vendor.rawValue]?.clearFaults()
    }

    /// Changes a stand-in's quota.
    public func setQuota(_ quota: SandboxConfiguration.Quota, for vendor: SandboxVendor) async {
        await ledgers[vendor.rawValue]?.setQuota(quota)
    }

    private func listening(_ name: String, port: Int) {
        let waiting = boundPorts.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.ports[name] = port
            guard state.ports.count == listeners.count else { return [] }
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        logger.info("Vendor sandbox listening", metadata: ["vendor": "\(name)", "port": "\(port)"])
        for continuation in waiting { continuation.resume() }
    }

    private func makeApplication(name: String) -> some ApplicationProtocol {
        let ledger = ledgers[name]!
        let standIn = standIns[name]!
        let (port, quota, _, latency) = listeners[name]!
        let keepsReceivedCalls = configuration.keepsReceivedCalls
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            let body = Array(buffer: try await request.collectBody(upTo: 4 << 20))
            let call = Self.sandboxCall(request, body: body)
            if call.rawPath.hasPrefix("/_sandbox/") {
                return try await Self.control(call, ledger: ledger)
            }
            if keepsReceivedCalls { await ledger.keep(call) }
            if let answer = standIn.tokenAnswer(call) {
                await ledger.tokenRequested(issued: (200...299).contains(answer.status))
                return Self.response(answer, headers: [])
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
            return Self.response(answer, headers: standIn.commonHeaders(quota: quota, resetEpochSeconds: resetEpoch))
        }
        var appLogger = logger
        // Hummingbird's own per-request lines would drown the sandbox's.
        appLogger.logLevel = max(logger.logLevel, .warning)
        return Application(
            responder: responder,
            configuration: .init(
                address: .hostname(configuration.host, port: port),
                serverName: "erasure-relay-sandbox-\(name)"
            ),
            onServerRunning: { [weak self] channel in
                self?.listening(name, port: channel.localAddress?.port ?? 0)
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

    private static func response(_ answer: SandboxAnswer, headers common: [(String, String)]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in common + answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: .init(code: answer.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: answer.body))
        )
    }

    /// An answer that dies after its head: the body fails, so the server drops the connection mid-response.
    private static func connectionReset() -> Response {
        Response(status: .ok, body: ResponseBody { _ in throw SandboxConnectionReset() })
    }

    private static func serve(_ call: SandboxCall, standIn: any StandIn, ledger: SandboxLedger) async -> SandboxAnswer {
        let answer = standIn.answer(call)
        if !answer.deletions.isEmpty {
            await ledger.accepted(answer.deletions, bodyBytes: call.body.count, batchSize: answer.batchSize)
        } else if answer.isLookUp {
            await ledger.lookedUp()
        } else if answer.isJobCheck {
            await ledger.jobChecked()
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
            authority: request.head.authority,
            rawPath: String(target[..<pathEnd]),
            query: query,
            rawQuery: rawQuery,
            headers: headers,
            body: body
        )
    }
}

import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP endpoint operators use: `/healthz` (liveness), `/readyz` (readiness) and `/metrics` (Prometheus).
public struct OperationsServer: Service {
    private let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameters:
    ///   - host: the address to bind, `http.host`.
    ///   - port: the port to bind, `http.port`; 0 picks a free one.
    ///   - health: what `/healthz` and `/readyz` answer from.
    ///   - metrics: renders the Prometheus text exposition.
    ///   - logger: receives the server's start, stop and errors.
    ///   - onListening: told the bound port once the server listens (useful with port 0).
    public init(
        host: String,
        port: Int,
        health: RelayHealth,
        metrics: @escaping @Sendable () -> [UInt8],
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        let router = Router()
        router.get("/healthz") { _, _ in
            health.isAlive
                ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
                : Response(
                    status: .serviceUnavailable,
                    body: .init(byteBuffer: ByteBuffer(string: "consumer loop stalled\n"))
                )
        }
        router.get("/readyz") { _, _ in
            health.isReady
                ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
                : Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "not ready\n")))
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics())))
        }
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .warning)
        application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "erasure-relay"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: serverLogger
        )
    }

    public func run() async throws {
        try await application.run()
    }
}

import AsyncHTTPClient
import ErasureRelay
import ErasureRelayTestSupport
import NIOCore
import NIOPosix
import Testing

/// A loopback server that misbehaves in one way, over a real socket.
private final class MisbehavingServer: Sendable {
    enum Behaviour: Sendable {
        /// Reads the request and never answers.
        case silent
        /// Closes the connection as soon as the request arrives.
        case closeAfterRequest
        /// Answers in plain HTTP, whatever the client sent: a TLS client gets no handshake.
        case plainAnswer
        /// Answers 200 with a body of `bytes` bytes.
        case bodyOf(bytes: Int)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        var answered = false

        init(behaviour: Behaviour) {
            self.behaviour = behaviour
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answered else { return }
            answered = true
            switch behaviour {
            case .silent:
                break
            case .closeAfterRequest:
                context.close(promise: nil)
            case .plainAnswer:
                answer(bodyBytes: 2, context: context)
            case .bodyOf(let bytes):
                answer(bodyBytes: bytes, context: context)
            }
        }

        private func answer(bodyBytes: Int, context: ChannelHandlerContext) {
            var buffer = context.channel.allocator.buffer(capacity: bodyBytes + 64)
            buffer.writeString("HTTP/1.1 200 OK\r\nContent-Length: \(bodyBytes)\r\n\r\n")
            buffer.writeRepeatingByte(UInt8(ascii: "x"), count: bodyBytes)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
    }

    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    init(_ behaviour: Behaviour) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func stop() async throws {
        try await channel.close()
    }
}

@Suite("HTTP vendor transport")
struct HTTPVendorTransportTests {
    private let call = VendorCall(method: .POST, pathAndQuery: "/users/delete", headers: [], body: Array("{}".utf8))

    /// Sends one call and returns the error it threw.
    private func failure(
        sendingTo baseURL: String,
        timeout: Duration = .seconds(5)
    ) async throws -> VendorTransportError? {
        let client = HTTPVendorTransport.makeClient()
        let result: Result<VendorResponse, any Error>
        do {
            result = .success(
                try await HTTPVendorTransport(client: client).send(call, baseURL: baseURL, timeout: timeout)
            )
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        switch result {
        case .success: return nil
        case .failure(let error as VendorTransportError): return error
        case .failure(let error): throw error
        }
    }

    private func failure(
        from behaviour: MisbehavingServer.Behaviour,
        scheme: String = "http",
        timeout: Duration = .seconds(5)
    ) async throws -> VendorTransportError? {
        let server = try await MisbehavingServer(behaviour)
        let error = try await failure(sendingTo: "\(scheme)://127.0.0.1:\(server.port)", timeout: timeout)
        try await server.stop()
        return error
    }

    @Test func aPortWithNothingListeningIsAConnectFailure() async throws {
        // Bound and not listening: refused, and no other test's server can take the port meanwhile.
        let error = try await LoopbackPort.withRefusingPort { port in
            try await failure(sendingTo: "http://127.0.0.1:\(port)", timeout: .seconds(1))
        }
        // async-http-client retries a refused connection until the call's deadline, and then reports why.
        #expect(error == .connect)
    }

    @Test func aServerThatNeverAnswersIsATimeout() async throws {
        #expect(try await failure(from: .silent, timeout: .milliseconds(300)) == .timeout)
    }

    @Test func aConnectionClosedBeforeTheAnswerIsAReset() async throws {
        #expect(try await failure(from: .closeAfterRequest) == .reset)
    }

    @Test func aServerThatDoesNotSpeakTLSIsATLSFailure() async throws {
        #expect(try await failure(from: .plainAnswer, scheme: "https", timeout: .seconds(1)) == .tls)
    }

    @Test func anAnswerOverTheSizeBoundIsTooLarge() async throws {
        #expect(try await failure(from: .bodyOf(bytes: 2 << 20)) == .bodyTooLarge)
    }

    @Test func anAnswerWithinTheBoundIsReturned() async throws {
        #expect(try await failure(from: .bodyOf(bytes: 1_000)) == nil)
    }

    @Test func eachFailureIsDescribedWithoutTheURL() {
        let errors: [VendorTransportError] = [.connect, .timeout, .reset, .tls, .bodyTooLarge, .unclassified]
        let descriptions = errors.map(\.description)
        #expect(Set(descriptions).count == errors.count)
        #expect(descriptions.allSatisfy { !$0.contains("127.0.0.1") && !$0.contains("/") })
    }
}

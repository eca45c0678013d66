import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// Why a vendor call got no answer. Its description is what outcomes, dead letters and logs say; it holds no URL,
/// since a path may carry an identifier.
public enum VendorTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No connection could be made: refused, unreachable, or the name did not resolve.
    case connect
    /// No complete answer within the call's timeout, or the connection took too long to open.
    case timeout
    /// The connection closed before the answer was complete.
    case reset
    /// The TLS handshake failed or the certificate was refused.
    case tls
    /// The answer was larger than any vendor's answer should be.
    case bodyTooLarge
    /// A failure none of the above describes.
    case unclassified
    /// The token endpoint refused to issue a token: its status, and its OAuth error code when it is one of RFC 6749's.
    case tokenEndpoint(status: Int, error: String?)
    /// The token endpoint's answer held no bearer token that could be used.
    case tokenUnreadable
    /// The vendor answered 401 to the token the call carried.
    case tokenRefused
    /// The token request's assertion could not be signed with the configured private key.
    case tokenAssertion

    public var description: String {
        switch self {
        case .connect: "connection failed"
        case .timeout: "timeout"
        case .reset: "connection reset"
        case .tls: "TLS failure"
        case .bodyTooLarge: "answer too large"
        case .unclassified: "transport error"
        case .tokenEndpoint(let status, let error):
            "token endpoint answered HTTP \(status)\(error.map { " (\($0))" } ?? "")"
        case .tokenUnreadable: "token endpoint's answer holds no usable bearer token"
        case .tokenRefused: "the vendor refused the access token (HTTP 401); a new one is fetched"
        case .tokenAssertion: "the token request could not be signed with the configured private key"
        }
    }

    /// Classifies an error thrown by async-http-client or SwiftNIO by its type and code, never by its text.
    public init(classifying error: any Error) {
        switch error {
        case let error as VendorTransportError:
            self = error
        case let error as HTTPClientError:
            self = Self.classify(error)
        case let error as ChannelError:
            switch error {
            case .connectTimeout: self = .timeout
            case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof: self = .reset
            case .writeHostUnreachable: self = .connect
            default: self = .unclassified
            }
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL: self = .connect
            case ECONNRESET, EPIPE, ECONNABORTED: self = .reset
            case ETIMEDOUT: self = .timeout
            default: self = .unclassified
            }
        case is NIOConnectionError:
            self = .connect
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            self = .tls
        case is NIOTooManyBytesError:
            self = .bodyTooLarge
        default:
            self = .unclassified
        }
    }

    private static func classify(_ error: HTTPClientError) -> Self {
        switch error {
        case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .socksHandshakeTimeout,
            .httpProxyHandshakeTimeout:
            .timeout
        case .remoteConnectionClosed:
            .reset
        case .tlsHandshakeTimeout:
            .tls
        default:
            .unclassified
        }
    }
}

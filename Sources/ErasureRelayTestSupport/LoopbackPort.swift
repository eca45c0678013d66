import Foundation

/// Loopback TCP ports for tests.
public enum LoopbackPort {
    /// A port nothing listens on at the moment of asking, for a child process that cannot report the port it bound.
    public static func unused() throws -> Int {
        let (socket, port) = try bound()
        close(socket)
        return port
    }

    /// A port that refuses every connection for as long as `body` runs: it is bound, so no one else can take it, and
    /// not listening.
    public static func withRefusingPort<Result>(_ body: (Int) async throws -> Result) async throws -> Result {
        let (socket, port) = try bound()
        defer { close(socket) }
        return try await body(port)
    }

    private static func bound() throws -> (socket: Int32, port: Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Int32 in
                guard bind(socket, raw, length) == 0 else { return -1 }
                return getsockname(socket, raw, &length)
            }
        }
        guard bound == 0 else {
            let error = POSIXError(.init(rawValue: errno) ?? .EIO)
            close(socket)
            throw error
        }
        return (socket, Int(UInt16(bigEndian: address.sin_port)))
    }
}

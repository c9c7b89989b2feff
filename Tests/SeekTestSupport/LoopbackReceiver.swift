import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A webhook receiver on 127.0.0.1 built on plain sockets, so it can count TCP connections (not
/// just requests): an SSRF test asserts that none ever arrives.
public final class LoopbackReceiver: Sendable {
    public struct Request: Sendable {
        /// Header names in lower case.
        public let headers: [String: String]
        public let body: [UInt8]
        public let receivedAt: Date
    }

    /// The status to answer the request with (index counts from 0), or nil to never answer.
    public typealias Responder = @Sendable (_ index: Int, _ request: Request) -> Int?

    private struct State {
        var connections = 0
        var requests: [Request] = []
        var sockets: [Int32] = []
        var closed = false
    }

    public let port: Int
    private let listener: Int32
    private let responder: Responder
    private let state = Mutex(State())

    public init(responder: @escaping Responder = { _, _ in 200 }) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 128) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        self.responder = responder
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// TCP connections accepted so far.
    public var connections: Int { state.withLock { $0.connections } }
    public var requests: [Request] { state.withLock { $0.requests } }

    public func close() {
        // Under the lock: a connection's thread closes its descriptor under it too, so a number the kernel has
        // already handed to another socket (another test's, running in parallel) is never shut down here.
        state.withLock { state in
            state.closed = true
            for socket in state.sockets { shutdown(socket, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let open = state.withLock { state -> Bool in
                guard !state.closed else {
                    Glibc.close(client)
                    return false
                }
                state.connections += 1
                state.sockets.append(client)
                return true
            }
            guard open else { return }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    /// HTTP/1.1 with keep-alive, just enough for webhook POSTs with a Content-Length.
    private func serve(_ client: Int32) {
        var buffer: [UInt8] = []
        defer {
            state.withLock { state in
                state.sockets.removeAll { $0 == client }
                Glibc.close(client)
            }
        }
        while true {
            guard let headEnd = readUntilHeadEnd(client, &buffer) else { return }
            let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
            buffer.removeFirst(headEnd + 4)
            var headers: [String: String] = [:]
            for line in head.split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < length {
                guard readMore(client, &buffer) else { return }
            }
            let request = Request(headers: headers, body: Array(buffer.prefix(length)), receivedAt: Date())
            buffer.removeFirst(length)
            let index = state.withLock { state in
                state.requests.append(request)
                return state.requests.count - 1
            }
            guard let status = responder(index, request) else { continue }
            var response = "HTTP/1.1 \(status) Status\r\nContent-Length: 0\r\n"
            if (300..<400).contains(status) { response += "Location: http://127.0.0.1:\(port)/redirected\r\n" }
            response += "\r\n"
            let bytes = Array(response.utf8)
            guard send(client, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { return }
        }
    }

    private func readUntilHeadEnd(_ client: Int32, _ buffer: inout [UInt8]) -> Int? {
        let marker: [UInt8] = [13, 10, 13, 10]
        while true {
            if buffer.count >= 4, let end = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<$0 + 4]) == marker }) { return end }
            guard readMore(client, &buffer) else { return nil }
        }
    }

    private func readMore(_ client: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = recv(client, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }
}

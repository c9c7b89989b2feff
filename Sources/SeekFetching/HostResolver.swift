import Dispatch
import Foundation
import SeekCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a host name into addresses. A seam, so tests can play a DNS server that changes its answer.
public protocol HostResolver: Sendable {
    /// Every address `host` has for a TCP connection; empty or throwing when it has none.
    func addresses(of host: String) async throws -> [IPAddress]
}

/// The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), on a thread of its own
/// because the call blocks, and given up on after `timeout` because DNS can take long to say no.
public struct SystemHostResolver: HostResolver {
    public var timeout: Duration

    public init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    struct LookupFailed: Error, CustomStringConvertible {
        let description: String
    }

    public func addresses(of host: String) async throws -> [IPAddress] {
        let timeout = self.timeout
        return try await withCheckedThrowingContinuation { continuation in
            let answer = FirstAnswer(continuation)
            answer.timer = Task {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                answer.give(.failure(LookupFailed(description: "the lookup of \(host) timed out")))
            }
            DispatchQueue.global().async { answer.give(Result { try Self.lookUp(host) }) }
        }
    }

    private static func lookUp(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else { throw LookupFailed(description: String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry = list
        while let info = entry?.pointee {
            if let address = info.ai_addr.flatMap(ipAddress), !addresses.contains(address) { addresses.append(address) }
            entry = info.ai_next
        }
        return addresses
    }

    private static func ipAddress(_ socketAddress: UnsafeMutablePointer<sockaddr>) -> IPAddress? {
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            return socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { .v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)) }
        case AF_INET6:
            return socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                var address = pointer.pointee.sin6_addr
                return .v6(withUnsafeBytes(of: &address) { Array($0) })
            }
        default:
            return nil
        }
    }
}

/// Resumes a continuation with whichever answer comes first (the lookup or its timeout), exactly once,
/// and stops the timer once the lookup has answered.
private final class FirstAnswer<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, any Error>?>
    private let timerTask = Mutex<Task<Void, Never>?>(nil)

    init(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation = Mutex(continuation)
    }

    var timer: Task<Void, Never>? {
        get { timerTask.withLock { $0 } }
        set { timerTask.withLock { $0 = newValue } }
    }

    func give(_ result: Result<Value, any Error>) {
        let waiting = continuation.withLock { slot in
            defer { slot = nil }
            return slot
        }
        guard let waiting else { return }
        timer?.cancel()
        waiting.resume(with: result)
    }
}

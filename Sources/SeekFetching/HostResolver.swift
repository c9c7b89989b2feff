import SeekCore

/// Turns a host name into addresses. A seam, so tests can play a DNS server that changes its answer;
/// `CAresResolver` is the real one.
public protocol HostResolver: Sendable {
    /// Every address `host` has for a TCP connection; empty or throwing when it has none.
    func addresses(of host: String) async throws -> [IPAddress]
}

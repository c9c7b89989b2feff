import AsyncHTTPClient
import Synchronization

/// HTTP clients by pinned address. AsyncHTTPClient's `dnsOverride` is per client, so a client serves one
/// (host, checked address); keeping it while in use lets connections be reused. Clients idle for a minute
/// are closed.
public final class PinnedClients: Sendable {
    private struct Entry {
        let client: HTTPClient
        var lastUsed: ContinuousClock.Instant
    }

    private static let idleLimit: Duration = .seconds(60)

    private let connectTimeout: Duration
    private let readTimeout: Duration
    private let connectionsPerHost: Int
    private let clients = Mutex<[String: Entry]>([:])

    public init(connectTimeout: Duration, readTimeout: Duration, connectionsPerHost: Int) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.connectionsPerHost = connectionsPerHost
    }

    public func client(for pinned: PinnedAddress) -> HTTPClient {
        let key = "\(pinned.host)\u{0}\(pinned.address)"
        let now = ContinuousClock.now
        let (client, idle) = clients.withLock { clients -> (HTTPClient, [HTTPClient]) in
            if var entry = clients[key] {
                entry.lastUsed = now
                clients[key] = entry
                return (entry.client, [])
            }
            let idleKeys = clients.filter { now - $0.value.lastUsed > Self.idleLimit }.map(\.key)
            let idle = idleKeys.compactMap { clients.removeValue(forKey: $0)?.client }
            var configuration = pinned.clientConfiguration(connect: connectTimeout, read: readTimeout)
            configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
            // Fetches and deliveries retry on their own schedules (backoff, Retry-After); the pool's own retries
            // beneath them turned one refused connection into a wait of the whole connect timeout, per attempt.
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = Entry(client: client, lastUsed: now)
            return (client, idle)
        }
        if !idle.isEmpty {
            // A request still using an evicted client finishes first: shutdown waits for it.
            Task { for client in idle { try? await client.shutdown() } }
        }
        return client
    }

    /// Closes every client.
    public func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return clients.values.map(\.client)
        }
        for client in all { try? await client.shutdown() }
    }
}

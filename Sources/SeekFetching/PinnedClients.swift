import AsyncHTTPClient
import Synchronization

/// HTTP clients by pinned address. AsyncHTTPClient's `dnsOverride` is per client, so a client serves one
/// (host, checked address); keeping it while in use lets connections be reused.
///
/// The set is bounded: at most `maxClients` are kept, and a client no request uses is closed after a minute,
/// or at once, least recently used first, when the set is over its bound. Wildcard DNS (a new host name per
/// delivery) therefore costs at most `maxClients` clients, plus one per request in flight. A client is only
/// closed when no request uses it: shutting one down would cancel its requests.
public final class PinnedClients: Sendable {
    private struct Entry {
        let client: HTTPClient
        var lastUsed: ContinuousClock.Instant
        var inUse: Int
    }

    private static let idleLimit: Duration = .seconds(60)

    private let connectTimeout: Duration
    private let readTimeout: Duration
    private let connectionsPerHost: Int
    private let maxClients: Int
    private let clients = Mutex<[String: Entry]>([:])

    public init(connectTimeout: Duration, readTimeout: Duration, connectionsPerHost: Int, maxClients: Int = 64) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.connectionsPerHost = connectionsPerHost
        self.maxClients = max(1, maxClients)
    }

    /// How many clients are open.
    public var count: Int { clients.withLock { $0.count } }

    /// Runs `body` with the client for `pinned`, which stays open at least until `body` returns.
    public func withClient<T>(for pinned: PinnedAddress, _ body: (HTTPClient) async throws -> T) async throws -> T {
        let key = "\(pinned.host)\u{0}\(pinned.address)"
        let client = lease(key, pinned)
        defer { release(key) }
        return try await body(client)
    }

    private func lease(_ key: String, _ pinned: PinnedAddress) -> HTTPClient {
        let now = ContinuousClock.now
        let (client, closing) = clients.withLock { clients -> (HTTPClient, [HTTPClient]) in
            if var entry = clients[key] {
                entry.lastUsed = now
                entry.inUse += 1
                clients[key] = entry
                return (entry.client, [])
            }
            var configuration = pinned.clientConfiguration(connect: connectTimeout, read: readTimeout)
            configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
            // Fetches and deliveries retry on their own schedules (backoff, Retry-After); the pool's own retries
            // beneath them turned one refused connection into a wait of the whole connect timeout, per attempt.
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = Entry(client: client, lastUsed: now, inUse: 1)
            return (client, Self.evict(&clients, now: now, keeping: maxClients))
        }
        Self.close(closing)
        return client
    }

    private func release(_ key: String) {
        let now = ContinuousClock.now
        let closing = clients.withLock { clients -> [HTTPClient] in
            clients[key]?.inUse -= 1
            clients[key]?.lastUsed = now
            return Self.evict(&clients, now: now, keeping: maxClients)
        }
        Self.close(closing)
    }

    /// Takes out the unused clients idle past the limit, then the least recently used unused ones while more
    /// than `bound` are open.
    private static func evict(_ clients: inout [String: Entry], now: ContinuousClock.Instant, keeping bound: Int) -> [HTTPClient] {
        var closing: [HTTPClient] = []
        for (key, entry) in clients where entry.inUse == 0 && now - entry.lastUsed > idleLimit {
            closing.append(entry.client)
            clients[key] = nil
        }
        if clients.count > bound {
            let unused = clients.filter { $0.value.inUse == 0 }.sorted { $0.value.lastUsed < $1.value.lastUsed }
            for (key, entry) in unused.prefix(clients.count - bound) {
                closing.append(entry.client)
                clients[key] = nil
            }
        }
        return closing
    }

    private static func close(_ closing: [HTTPClient]) {
        guard !closing.isEmpty else { return }
        Task { for client in closing { try? await client.shutdown() } }
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

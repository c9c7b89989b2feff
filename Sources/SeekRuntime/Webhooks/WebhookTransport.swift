import AsyncHTTPClient
import Foundation
import NIOCore
import SeekCore
import Synchronization

/// Sends one webhook attempt. A seam: the sender decides what to send and when; a transport only
/// carries the bytes to the pinned address.
public protocol WebhookTransport: Sendable {
    /// POSTs `body` to `url`, connecting to `pinned.address` and nowhere else, within `timeout`.
    func post(
        url: String,
        pinned: PinnedAddress,
        headers: [(name: String, value: String)],
        body: [UInt8],
        timeout: Duration
    ) async
        -> WebhookAttemptResult
    /// Closes every connection.
    func shutdown() async
}

/// The transport over AsyncHTTPClient. A client pins its host to the checked address with
/// `dnsOverride` (TLS still verifies and sends SNI for the host name), and that option is per
/// client, so there is one client per (host, address), kept while in use so connections are reused.
public final class HTTPWebhookTransport: WebhookTransport {
    private struct Entry {
        let client: HTTPClient
        var lastUsed: ContinuousClock.Instant
    }

    /// Clients unused this long are closed.
    private static let idleLimit: Duration = .seconds(60)
    /// How much of a response body is read before the connection is given up on; nobody reads it.
    private static let bodyLimit = 64 * 1024

    private let clients = Mutex<[String: Entry]>([:])

    public init() {}

    public func post(
        url: String,
        pinned: PinnedAddress,
        headers: [(name: String, value: String)],
        body: [UInt8],
        timeout: Duration
    ) async
        -> WebhookAttemptResult
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let client = client(for: pinned)
        let prepared = request
        do {
            return try await withDeadline(timeout) {
                let response = try await client.execute(prepared, timeout: TimeAmount.nanoseconds(timeout.nanoseconds))
                // Read (a bounded part of) the body so the connection can serve the next delivery.
                _ = try? await response.body.collect(upTo: Self.bodyLimit)
                return .answered(statusCode: Int(response.status.code))
            }
        } catch is DeadlineExceeded {
            return .notAnswered("no response within \(timeout.readable)")
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            return .notAnswered("no response within \(timeout.readable)")
        } catch {
            return .notAnswered("connection to \(pinned.address) failed: \(String(describing: error).prefix(300))")
        }
    }

    private func client(for pinned: PinnedAddress) -> HTTPClient {
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
            let client = Self.makeClient(pinned)
            clients[key] = Entry(client: client, lastUsed: now)
            return (client, idle)
        }
        if !idle.isEmpty {
            // A request still using an evicted client finishes first: shutdown waits for it.
            Task { for client in idle { try? await client.shutdown() } }
        }
        return client
    }

    private static func makeClient(_ pinned: PinnedAddress) -> HTTPClient {
        var configuration = pinned.clientConfiguration(connect: .seconds(10), read: .seconds(10))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return clients.values.map(\.client)
        }
        for client in all { try? await client.shutdown() }
    }
}

extension PinnedAddress {
    /// A client that connects to this checked address whatever DNS answers later, and follows no redirect:
    /// each hop must pass the guard again.
    func clientConfiguration(connect: Duration, read: Duration) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(connect.nanoseconds), read: .nanoseconds(read.nanoseconds))
        )
        configuration.dnsOverride = [host: address.description]
        return configuration
    }
}

extension Duration {
    /// `10 s`, `0.5 s`.
    var readable: String {
        let value = seconds
        return value.rounded() == value ? "\(Int(value)) s" : "\(value) s"
    }
}

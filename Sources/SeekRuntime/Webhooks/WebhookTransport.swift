import AsyncHTTPClient
import Foundation
import NIOCore
import SeekCore
import SeekFetching

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
/// `dnsOverride` (TLS still verifies and sends SNI for the host name); `PinnedClients` keeps one per address,
/// at most as many as the sender delivers at once.
public final class HTTPWebhookTransport: WebhookTransport {
    /// How much of a response body is read before the connection is given up on; nobody reads it.
    private static let bodyLimit = 64 * 1024

    private let clients: PinnedClients

    /// `maxClients`: the sender's concurrency, so that every delivery in flight can keep its client.
    public init(maxClients: Int = 64) {
        clients = PinnedClients(connectTimeout: .seconds(10), readTimeout: .seconds(10), connectionsPerHost: 16, maxClients: maxClients)
    }

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
        let prepared = request
        do {
            return try await withDeadline(timeout) { [clients] in
                try await clients.withClient(for: pinned) { client in
                    let response = try await client.execute(prepared, timeout: TimeAmount.nanoseconds(timeout.nanoseconds))
                    // Read (a bounded part of) the body so the connection can serve the next delivery.
                    _ = try? await response.body.collect(upTo: Self.bodyLimit)
                    return .answered(statusCode: Int(response.status.code))
                }
            }
        } catch is DeadlineExceeded {
            return .notAnswered("no response within \(timeout.readable)")
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            return .notAnswered("no response within \(timeout.readable)")
        } catch {
            return .notAnswered("connection to \(pinned.address) failed: \(String(describing: error).prefix(300))")
        }
    }

    public func shutdown() async {
        await clients.shutdown()
    }
}

extension Duration {
    /// `10 s`, `0.5 s`.
    var readable: String {
        let value = seconds
        return value.rounded() == value ? "\(Int(value)) s" : "\(value) s"
    }
}

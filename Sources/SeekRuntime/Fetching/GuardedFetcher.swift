import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SeekCore
import SeekWorkers

/// What workers fetch from other hosts goes through here: the webhooks' SSRF guard checks every hop (the
/// first URL and each redirect), the connection goes to the address that was checked, and the body is read
/// up to a limit. A refusal names the host, never the address it resolved to.
public struct GuardedFetcher: RemoteFetcher {
    public var userAgent = "Seek/1.0"
    public var timeout: Duration = .seconds(30)
    public var maxRedirects = 5
    private let guardrail: WebhookAddressGuard

    public init(guard guardrail: WebhookAddressGuard) {
        self.guardrail = guardrail
    }

    public func fetch(_ url: String, maxBytes: Int) async throws -> InputFile {
        var current = url
        for _ in 0...maxRedirects {
            let pinned: PinnedAddress
            do {
                pinned = try await guardrail.pin(current)
            } catch {
                throw Self.refusal(error)
            }
            let configuration = pinned.clientConfiguration(connect: min(.seconds(10), timeout), read: timeout)
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            defer { Task { try? await client.shutdown() } }
            var request = HTTPClientRequest(url: current)
            request.headers.add(name: "User-Agent", value: userAgent)
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            } catch {
                throw WorkerFailure(
                    code: "fetch_failed",
                    message: "\(Self.host(of: current)) did not answer: \(String(describing: error).prefix(200))."
                )
            }
            switch response.status.code {
            case 200..<300:
                let body: ByteBuffer
                do {
                    body = try await response.body.collect(upTo: maxBytes)
                } catch is NIOTooManyBytesError {
                    throw WorkerFailure(code: "input_too_large", message: "\(Self.host(of: current)) sent more than \(maxBytes) bytes.")
                } catch {
                    throw WorkerFailure(
                        code: "fetch_failed",
                        message: "Reading from \(Self.host(of: current)) failed: \(String(describing: error).prefix(200))."
                    )
                }
                let name = URL(string: current)?.lastPathComponent ?? "download"
                return InputFile(
                    name: name.isEmpty ? "download" : name,
                    contentType: response.headers.first(name: "Content-Type") ?? "application/octet-stream",
                    bytes: Array(body.readableBytesView)
                )
            case 301, 302, 303, 307, 308:
                guard let location = response.headers.first(name: "Location"), let next = URL(string: location, relativeTo: URL(string: current))
                else {
                    throw WorkerFailure(code: "fetch_failed", message: "\(Self.host(of: current)) redirected without a Location.")
                }
                current = next.absoluteString
            default:
                throw WorkerFailure(code: "fetch_failed", message: "\(Self.host(of: current)) answered HTTP \(response.status.code).")
            }
        }
        throw WorkerFailure(code: "fetch_failed", message: "More than \(maxRedirects) redirects from \(Self.host(of: url)).")
    }

    private static func host(of url: String) -> String { URL(string: url)?.host ?? "the host" }

    private static func refusal(_ refusal: WebhookRefusal) -> WorkerFailure {
        switch refusal {
        case .scheme: return WorkerFailure(code: "fetch_refused", message: "The URL must be an absolute http or https URL.")
        case let .localName(host), let .privateAddress(host, _):
            return WorkerFailure(
                code: "fetch_refused",
                message:
                    "\(host) is not a public address; Seek fetches only from the public internet (an operator may allow private networks with --allow-private-webhooks)."
            )
        case let .unresolvable(host): return WorkerFailure(code: "fetch_failed", message: "\(host) does not resolve to any address.")
        }
    }
}

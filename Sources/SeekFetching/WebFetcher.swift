import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SeekCore
import SeekWorkers

/// How Seek behaves as a client of other people's servers.
public struct FetchConfiguration: Sendable {
    /// Sent with every request; its first word is the token robots.txt groups are matched against.
    public var userAgent = "Seek/1.0 (+https://github.com/seek-api/seek)"
    /// Whether robots.txt is read and obeyed for pages workers crawl.
    public var honourRobots = true
    /// How long a host's robots.txt is kept.
    public var robotsLifetime: Duration = .seconds(3600)
    /// Requests in flight to one host at once.
    public var hostConcurrency = 1
    /// The pause between two requests to one host.
    public var hostDelay: Duration = .seconds(1)
    public var connectTimeout: Duration = .seconds(10)
    /// The longest one request may take, body included.
    public var timeout: Duration = .seconds(30)
    /// The largest body read when a request names no smaller limit.
    public var maxBytes = 10 * 1024 * 1024
    public var maxRedirects = 5
    /// Further attempts after a 429, a 5xx or a broken connection.
    public var retries = 3
    /// The first backoff; each retry doubles it (with jitter), unless the server said when with Retry-After.
    public var backoff: Duration = .milliseconds(500)
    /// A Retry-After longer than this ends the fetch instead of waiting.
    public var maxRetryWait: Duration = .seconds(60)

    public init() {}
}

/// The fetching layer workers use: every hop through the SSRF guard (resolve once, refuse non-public
/// addresses, connect to the checked address, check each redirect again; a refusal names the host, never
/// the address), robots.txt honoured per host, one request at a time per host with a pause between, retries
/// with backoff on 429 and 5xx that honour Retry-After, a body limit, and the body's charset detected.
public final class WebFetcher: RemoteFetcher {
    public let configuration: FetchConfiguration
    private let guardrail: AddressGuard
    private let clients: PinnedClients
    private let gates: HostGates
    private let robots: RobotsCache

    public init(guard guardrail: AddressGuard, configuration: FetchConfiguration = FetchConfiguration()) {
        self.configuration = configuration
        self.guardrail = guardrail
        clients = PinnedClients(
            connectTimeout: min(configuration.connectTimeout, configuration.timeout),
            readTimeout: configuration.timeout,
            connectionsPerHost: configuration.hostConcurrency
        )
        gates = HostGates(concurrency: configuration.hostConcurrency, delay: configuration.hostDelay)
        robots = RobotsCache(lifetime: configuration.robotsLifetime)
    }

    /// Closes every connection; the fetcher is not used after.
    public func shutdown() async {
        await clients.shutdown()
    }

    public func fetch(_ request: FetchRequest) async throws -> FetchedResponse {
        let maxBytes = min(request.maxBytes ?? configuration.maxBytes, configuration.maxBytes)
        switch try await follow(request, maxBytes: maxBytes) {
        case let .body(url, contentType, bytes):
            return FetchedResponse(url: url, contentType: contentType, charset: Charset.detect(bytes, contentType: contentType), bytes: bytes)
        case let .status(url, status):
            throw WorkerFailure(code: "fetch_failed", message: "\(Self.host(of: url)) answered HTTP \(status).")
        }
    }

    /// How a request ended once redirects and retries are done.
    enum Final {
        case body(url: String, contentType: String, bytes: [UInt8])
        /// Any status but 2xx, a redirect, or one worth retrying (which retries already got).
        case status(url: String, Int)
    }

    /// The request and its redirects, each hop checked by the guard, and by robots.txt when the request honours it.
    private func follow(_ request: FetchRequest, maxBytes: Int) async throws -> Final {
        var current = request.url
        for _ in 0...configuration.maxRedirects {
            guard let url = URL(string: current), let host = url.host, ["http", "https"].contains(url.scheme?.lowercased() ?? "") else {
                throw WorkerFailure(code: "fetch_refused", message: "The URL must be an absolute http or https URL.")
            }
            if request.honoursRobots, configuration.honourRobots {
                // A host the guard refuses is refused as such, not as one whose robots.txt could not be read.
                do {
                    _ = try await guardrail.pin(current)
                } catch {
                    throw Self.refusal(error)
                }
                let origin = Self.origin(url)
                let rules = await robots.rules(for: origin) { await self.robotsTxt(origin: origin) }
                guard rules.allows(Self.pathAndQuery(url)) else {
                    throw WorkerFailure(
                        code: "fetch_disallowed",
                        message: "\(host)'s robots.txt does not allow \(Self.agentToken(configuration.userAgent)) to fetch \(Self.pathAndQuery(url))."
                    )
                }
            }
            switch try await withRetries(current, accept: request.accept, maxBytes: maxBytes) {
            case let .body(contentType, bytes):
                return .body(url: current, contentType: contentType, bytes: bytes)
            case let .status(status):
                return .status(url: current, status)
            case let .redirect(location):
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                    throw WorkerFailure(code: "fetch_failed", message: "\(host) redirected to an unreadable Location.")
                }
                current = next.absoluteString
            }
        }
        throw WorkerFailure(code: "fetch_failed", message: "More than \(configuration.maxRedirects) redirects from \(Self.host(of: request.url)).")
    }

    enum Answer {
        case body(contentType: String, bytes: [UInt8])
        case redirect(String)
        case status(Int)
    }

    /// One hop, tried again after 429, 5xx and broken connections.
    private func withRetries(_ url: String, accept: String, maxBytes: Int) async throws -> Answer {
        var attempt = 0
        while true {
            switch try await once(url, accept: accept, maxBytes: maxBytes) {
            case let .done(answer):
                return answer
            case let .retry(reason, retryAfter):
                guard attempt < configuration.retries else {
                    throw WorkerFailure(code: "fetch_failed", message: "\(Self.host(of: url)) \(reason), \(attempt + 1) times.")
                }
                let wait = retryAfter ?? backoff(attempt)
                guard wait <= configuration.maxRetryWait else {
                    throw WorkerFailure(
                        code: "fetch_failed",
                        message: "\(Self.host(of: url)) \(reason) and asked to wait \(Int(wait.seconds)) s, longer than this server waits."
                    )
                }
                attempt += 1
                try await Task.sleep(for: wait)
            }
        }
    }

    private enum Outcome {
        case done(Answer)
        case retry(String, after: Duration?)
    }

    private func once(_ url: String, accept: String, maxBytes: Int) async throws -> Outcome {
        let pinned: PinnedAddress
        do {
            pinned = try await guardrail.pin(url)
        } catch {
            throw Self.refusal(error)
        }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        request.headers.add(name: "Accept", value: accept)
        let prepared = request
        let timeout = configuration.timeout
        return try await gates.run(host: pinned.host.lowercased()) { [clients] in
            try await clients.withClient(for: pinned) { client in
                let response: HTTPClientResponse
                do {
                    response = try await client.execute(prepared, timeout: .nanoseconds(timeout.nanoseconds))
                } catch {
                    return .retry("did not answer (\(Self.reason(error)))", after: nil)
                }
                let status = Int(response.status.code)
                switch status {
                case 200..<300:
                    do {
                        let body = try await response.body.collect(upTo: maxBytes)
                        return .done(.body(contentType: response.headers.first(name: "Content-Type") ?? "", bytes: Array(body.readableBytesView)))
                    } catch is NIOTooManyBytesError {
                        throw WorkerFailure(code: "input_too_large", message: "\(pinned.host) sent more than \(maxBytes) bytes.")
                    } catch {
                        return .retry("broke off its answer (\(Self.reason(error)))", after: nil)
                    }
                case 301, 302, 303, 307, 308:
                    guard let location = response.headers.first(name: "Location") else { return .done(.status(status)) }
                    return .done(.redirect(location))
                case 429, 500, 502, 503, 504:
                    let after = response.headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
                    return .retry("answered HTTP \(status)", after: after)
                default:
                    return .done(.status(status))
                }
            }
        }
    }

    /// 0.5 s, 1 s, 2 s… with up to half again of jitter, so that many jobs retrying one host spread out.
    private func backoff(_ attempt: Int) -> Duration {
        let base = configuration.backoff * (1 << min(attempt, 10))
        return base + base * Double.random(in: 0..<0.5)
    }

    /// The host's robots.txt: 2xx is parsed, 4xx allows everything, anything else (5xx, unreachable, refused by
    /// the guard, too large) disallows everything (RFC 9309 §2.3.1).
    private func robotsTxt(origin: String) async -> RobotsRules {
        let request = FetchRequest(url: origin + "/robots.txt", accept: "text/plain", honoursRobots: false)
        switch try? await follow(request, maxBytes: RobotsRules.maxBytes) {
        case let .body(_, _, bytes): return RobotsRules(parsing: bytes, agent: Self.agentToken(configuration.userAgent))
        case let .status(_, status) where (400..<500).contains(status): return .allowAll
        default: return .disallowAll
        }
    }

    static func agentToken(_ userAgent: String) -> String {
        String(userAgent.prefix { $0 != "/" && $0 != " " })
    }

    static func origin(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? "http"
        let host = (url.host ?? "").contains(":") ? "[\(url.host ?? "")]" : (url.host ?? "")
        return url.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }

    static func pathAndQuery(_ url: URL) -> String {
        let path = url.path(percentEncoded: true)
        let query = url.query(percentEncoded: true).map { "?" + $0 } ?? ""
        return (path.isEmpty ? "/" : path) + query
    }

    private static func host(of url: String) -> String { URL(string: url)?.host ?? "the host" }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .connectTimeout: return "connection timed out"
            default: break
            }
        }
        return String(describing: error).prefix(120).description
    }

    /// A guard refusal as a worker failure. It names the host and never the address the host resolved to.
    private static func refusal(_ refusal: WebhookRefusal) -> WorkerFailure {
        switch refusal {
        case .scheme: return WorkerFailure(code: "fetch_refused", message: "The URL must be an absolute http or https URL.")
        case let .localName(host), let .privateAddress(host, _):
            return WorkerFailure(
                code: "fetch_refused",
                message:
                    "\(host) is not a public address; Seek fetches only from the public internet (an operator may allow private networks with --allow-private-network)."
            )
        case let .unresolvable(host): return WorkerFailure(code: "fetch_failed", message: "\(host) does not resolve to any address.")
        }
    }
}

/// Reads and keeps each origin's robots.txt; concurrent asks for one origin share one fetch.
actor RobotsCache {
    private var entries: [String: (rules: RobotsRules, fetched: ContinuousClock.Instant)] = [:]
    private var pending: [String: Task<RobotsRules, Never>] = [:]
    private let lifetime: Duration

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    func rules(for origin: String, load: @escaping @Sendable () async -> RobotsRules) async -> RobotsRules {
        if let entry = entries[origin], ContinuousClock.now - entry.fetched < lifetime { return entry.rules }
        if let task = pending[origin] { return await task.value }
        let task = Task { await load() }
        pending[origin] = task
        let rules = await task.value
        pending[origin] = nil
        if entries.count > 10_000 { entries.removeAll() }
        entries[origin] = (rules, .now)
        return rules
    }
}

/// A Retry-After value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
public enum RetryAfter {
    public static func parse(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingWhitespace
        if let seconds = Int(text), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .seconds(max(0, date.timeIntervalSince(now)))
    }
}

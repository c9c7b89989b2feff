import Hummingbird
import NIOCore
import SeekCore
import SeekStore

/// What a request carries through middleware to its handler.
public struct SeekRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Echoed in `X-Request-Id`, every error body and every log line of the request.
    public var requestID = ""
    public var apiVersion = APIVersion.current
    /// Set by `AuthMiddleware`; handlers behind it read it through `workspaceID`.
    public var identity: APIKeyIdentity?
    /// Set by `RunnerAuthMiddleware` on the runner API's routes.
    public var runner: RunnerIdentity?
    /// Set by `DashboardAuthMiddleware` on the dashboard's signed-in pages.
    var dashboard: DashboardViewer?

    /// The peer's address, for limiting requests that carry no valid key.
    public var remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address (or a placeholder when the transport has none, as in router tests).
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }

    /// The client as rate limits count it: an IPv4 address, or an IPv6 address's /64, which one host may
    /// hold whole and walk through address by address.
    var clientNetwork: String { Self.network(of: remoteAddress) }

    static func network(of remoteAddress: SocketAddress?) -> String {
        guard case let .v6(address)? = remoteAddress else { return remoteAddress?.ipAddress ?? "unknown" }
        let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0.prefix(8)) }
        // ::1, and IPv4 mapped into IPv6, are one host each.
        if bytes.allSatisfy({ $0 == 0 }) { return remoteAddress?.ipAddress ?? "unknown" }
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
            + "::/64"
    }

    /// Bodies over 1 MiB are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated runner; only routes behind `RunnerAuthMiddleware` call this.
    public func runnerIdentity() throws -> RunnerIdentity {
        guard let runner else { throw SeekError(.unauthorized, "Missing or invalid runner token (Authorization: Bearer srt_…).") }
        return runner
    }

    /// The authenticated workspace; only routes behind `AuthMiddleware` call this.
    public func workspaceID() throws -> String {
        guard let identity else { throw SeekError.unauthorized }
        return identity.workspaceID
    }
}

/// The API versions a client may ask for with `Seek-Version`.
public enum APIVersion: String, Sendable {
    /// Seed 000's names: `job_uuid`, `status` in lower case, `result`.
    case current = "2026-03-16"
    /// Seed 001's names: `job_id`, `worker_id`, `SUCCEEDED`…, `output`.
    case legacy = "2026-01-15"
}

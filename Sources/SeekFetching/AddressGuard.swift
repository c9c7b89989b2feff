import AsyncHTTPClient
import SeekCore

/// The address a request connects to: checked once, then used as is, so a second DNS answer
/// (rebinding) never decides where Seek connects.
public struct PinnedAddress: Sendable, Equatable {
    /// The host as the HTTP client reads it from the URL.
    public var host: String
    public var address: IPAddress

    /// A client that connects to this checked address whatever DNS answers later, and follows no redirect:
    /// each hop must pass the guard again.
    public func clientConfiguration(connect: Duration, read: Duration) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(connect.nanoseconds), read: .nanoseconds(read.nanoseconds))
        )
        configuration.dnsOverride = [host: address.description]
        return configuration
    }
}

/// The SSRF guard, for webhooks and for everything workers fetch: only http(s) targets whose every address
/// is public, unless the operator allows private networks, or names one private host and port it trusts
/// (a self-hosted Nominatim, a fixture site in tests). Checked before every connection, redirects included.
public struct AddressGuard: Sendable {
    public let resolver: any HostResolver
    public let allowPrivateTargets: Bool
    /// `host:port` pairs (lowercased, as the URL spells the host) reached even when private.
    public let trustedHosts: Set<String>

    public init(resolver: any HostResolver = CAresResolver.shared, allowPrivateTargets: Bool, trustedHosts: Set<String> = []) {
        self.resolver = resolver
        self.allowPrivateTargets = allowPrivateTargets
        self.trustedHosts = Set(trustedHosts.map { $0.lowercased() })
    }

    /// `host:port` as `trustedHosts` holds it: a bracketed IPv6 host keeps its brackets.
    public static func hostKey(host: String, port: Int) -> String {
        (host.contains(":") ? "[\(host)]" : host).lowercased() + ":\(port)"
    }

    /// Resolves and checks the target of one connection.
    public func pin(_ url: String) async throws(WebhookRefusal) -> PinnedAddress {
        let target = try WebhookTarget(url: url)
        let guarded = !allowPrivateTargets && !trustedHosts.contains(Self.hostKey(host: target.host, port: target.port))
        if guarded, let refusal = target.refusalBeforeLookup { throw refusal }
        if let literal = target.literal { return PinnedAddress(host: target.host, address: literal) }
        let addresses: [IPAddress]
        do {
            addresses = try await resolver.addresses(of: target.host)
        } catch {
            throw .unresolvable(target.host)
        }
        if guarded, let refusal = target.refusal(resolvedTo: addresses) { throw refusal }
        guard let first = addresses.first else { throw .unresolvable(target.host) }
        return PinnedAddress(host: target.host, address: first)
    }

    /// Checks a webhook URL as a job is submitted. A private target is refused; a name that does not
    /// resolve right now is accepted, because every attempt checks again before it connects.
    public func checkAtSubmit(_ url: String) async throws(SeekError) {
        guard !allowPrivateTargets else { return }
        do throws(WebhookRefusal) {
            _ = try await pin(url)
        } catch .unresolvable {
            return
        } catch {
            throw error.seekError
        }
    }
}

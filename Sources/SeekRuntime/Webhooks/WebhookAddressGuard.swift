import SeekCore

/// The address a delivery connects to: checked once, then used as is, so a second DNS answer
/// (rebinding) never decides where Seek connects.
public struct PinnedAddress: Sendable, Equatable {
    /// The host as the HTTP client reads it from the URL.
    public var host: String
    public var address: IPAddress
}

/// The SSRF guard: only http(s) targets whose every address is public, unless the operator allows
/// private targets. Used at submit and again before each delivery attempt.
public struct WebhookAddressGuard: Sendable {
    public let resolver: any HostResolver
    public let allowPrivateTargets: Bool

    public init(resolver: any HostResolver = SystemHostResolver(), allowPrivateTargets: Bool) {
        self.resolver = resolver
        self.allowPrivateTargets = allowPrivateTargets
    }

    /// Resolves and checks the target of a delivery attempt.
    public func pin(_ url: String) async throws(WebhookRefusal) -> PinnedAddress {
        let target = try WebhookTarget(url: url)
        if !allowPrivateTargets, let refusal = target.refusalBeforeLookup { throw refusal }
        if let literal = target.literal { return PinnedAddress(host: target.host, address: literal) }
        let addresses: [IPAddress]
        do {
            addresses = try await resolver.addresses(of: target.host)
        } catch {
            throw .unresolvable(target.host)
        }
        if !allowPrivateTargets, let refusal = target.refusal(resolvedTo: addresses) { throw refusal }
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

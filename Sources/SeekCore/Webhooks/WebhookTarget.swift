import Foundation

/// Where a webhook URL points, as the HTTP client will read it, and why Seek may refuse it.
public struct WebhookTarget: Sendable, Equatable {
    /// The host as the HTTP client sees it: `URL.host` with IPv6 brackets removed.
    public let host: String
    /// The host when it is written as an address, in any spelling; nil for a name.
    public let literal: IPAddress?
    /// The port the client connects to: the URL's, or the scheme's default.
    public let port: Int

    /// Accepts absolute http and https URLs only.
    public init(url: String) throws(WebhookRefusal) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .scheme
        }
        guard var host = parsed.host, !host.isEmpty else { throw .scheme }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.literal = AddressPolicy.literal(host)
        self.port = parsed.port ?? (scheme == "https" ? 443 : 80)
    }

    /// The refusal, if the host is private whatever it resolves to: a local name or a private address literal.
    public var refusalBeforeLookup: WebhookRefusal? {
        if AddressPolicy.isLocalName(host) { return .localName(host) }
        if let literal, !AddressPolicy.isPublic(literal) { return .privateAddress(host: host, address: literal) }
        return nil
    }

    /// The refusal, if any of the addresses a name resolved to is not public.
    public func refusal(resolvedTo addresses: [IPAddress]) -> WebhookRefusal? {
        guard !addresses.isEmpty else { return .unresolvable(host) }
        return addresses.first { !AddressPolicy.isPublic($0) }.map { .privateAddress(host: host, address: $0) }
    }
}

/// Why a webhook target is not contacted.
public enum WebhookRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case scheme
    case localName(String)
    case privateAddress(host: String, address: IPAddress)
    case unresolvable(String)

    public var description: String {
        switch self {
        case .scheme:
            return "webhook must be an absolute http or https URL."
        case let .localName(host):
            return "webhook host \(host) names this machine; webhooks are only delivered to public addresses."
        case let .privateAddress(host, address) where host == address.description:
            return "webhook address \(host) is not public (loopback, private, link-local, metadata or reserved); "
                + "webhooks are only delivered to public addresses."
        case let .privateAddress(host, _):
            // Never the address: a caller must not learn what names inside the network resolve to.
            return "webhook host \(host) does not resolve to a public address; webhooks are only delivered to public addresses."
        case let .unresolvable(host):
            return "webhook host \(host) does not resolve to any address."
        }
    }

    /// The refusal with the address a name resolved to, for the operator's log only.
    public var operatorDetail: String {
        guard case let .privateAddress(host, address) = self, host != address.description else { return description }
        return "\(host) resolved to \(address), which is not public"
    }

    /// The error a submit answers with: 400, saying how an operator may lift the guard.
    public var seekError: SeekError {
        switch self {
        case .scheme, .unresolvable: return SeekError(.badRequest, description)
        case .localName, .privateAddress:
            return SeekError(.badRequest, description + " (The operator can allow private targets with --allow-private-network.)")
        }
    }
}

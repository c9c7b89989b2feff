/// What an API key may do: `full` (the default) or `read` (GET only).
public enum KeyScope: String, Sendable, CaseIterable {
    case full
    case read

    /// Whether a request with `method` (`GET`, `POST`, …) is allowed.
    public func permits(method: String) -> Bool {
        switch self {
        case .full: return true
        case .read: return method == "GET" || method == "HEAD"
        }
    }

    /// Whether the key may read a credential (the webhook signing secret): a read key that could would sign
    /// webhooks as Seek does, so only a full key may.
    public var revealsCredentials: Bool { self == .full }
}

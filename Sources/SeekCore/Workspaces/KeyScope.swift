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
}

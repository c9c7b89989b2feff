import Crypto
import Foundation

/// A workspace's webhook secret: `whsec_` + base64 of the HMAC key (32 random bytes when Seek makes one).
public struct WebhookSecret: Sendable, Equatable {
    public let key: [UInt8]

    public init(key: [UInt8]) {
        self.key = key
    }

    /// Parses `whsec_<base64>`; nil for anything else.
    public init?(encoded: String) {
        guard encoded.hasPrefix("whsec_"), let key = Data(base64Encoded: String(encoded.dropFirst(6))), !key.isEmpty else { return nil }
        self.key = Array(key)
    }

    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        return WebhookSecret(key: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public var encoded: String { "whsec_" + Data(key).base64EncodedString() }

    func mac(_ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}

/// The two signatures every delivery carries, each computed over the exact bytes sent. During a
/// rotation both secrets sign, so a receiver holding either one verifies.
public enum WebhookSignature {
    /// Seed 000's `X-SeekAPI-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>` (one `v1=` per secret).
    public static func seekHeader(secrets: [WebhookSecret], timestamp: Int, body: [UInt8]) -> String {
        let message = Array("\(timestamp).".utf8) + body
        return (["t=\(timestamp)"] + secrets.map { "v1=" + Hex.encode($0.mac(message)) }).joined(separator: ",")
    }

    /// Standard Webhooks' `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256(key, "<id>.<t>.<body>")>`.
    public static func standard(secrets: [WebhookSecret], id: String, timestamp: Int, body: [UInt8]) -> String {
        let message = Array("\(id).\(timestamp).".utf8) + body
        return secrets.map { "v1," + Data($0.mac(message)).base64EncodedString() }.joined(separator: " ")
    }
}

/// A workspace's signing secrets: the current one, and after a rotation the previous one for 24 h,
/// so receivers can switch over without losing a delivery.
public struct WebhookSecrets: Sendable, Equatable {
    /// How long a replaced secret keeps signing.
    public static let overlap: TimeInterval = 24 * 3600

    public var current: WebhookSecret
    public var previous: WebhookSecret?
    public var previousUntil: Date?

    public init(current: WebhookSecret, previous: WebhookSecret? = nil, previousUntil: Date? = nil) {
        self.current = current
        self.previous = previous
        self.previousUntil = previousUntil
    }

    /// The secrets that sign a delivery made at `date`, current first.
    public func signing(at date: Date) -> [WebhookSecret] {
        guard let previous, let until = previousUntil, date < until else { return [current] }
        return [current, previous]
    }

    /// The secrets after replacing the current one at `date`.
    public func rotated(to next: WebhookSecret, at date: Date) -> WebhookSecrets {
        WebhookSecrets(current: next, previous: current, previousUntil: date.addingTimeInterval(Self.overlap))
    }
}

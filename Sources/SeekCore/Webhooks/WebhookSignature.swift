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

    /// Compares in constant time, so a forger learns nothing from how long a refusal takes.
    func signed(_ message: [UInt8], as code: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: message, using: SymmetricKey(data: key))
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

/// Why a received delivery is not taken as Seek's.
public enum WebhookVerificationError: Error, Equatable, Sendable {
    /// A header is missing or not in its scheme's form.
    case malformedHeader(String)
    /// The timestamp is further from now than the tolerance: an old delivery replayed, or a wrong clock.
    case timestampOutsideTolerance
    /// No signature in the header is the secret's over these bytes.
    case noMatchingSignature
}

/// Checks a delivery the way a receiver must: over the exact bytes received, with a timestamp near now,
/// against any of the header's signatures (two during a secret's rotation).
public struct WebhookVerifier: Sendable {
    /// Standard Webhooks' default: five minutes either way.
    public static let defaultTolerance: TimeInterval = 300

    public let secret: WebhookSecret
    public let tolerance: TimeInterval

    public init(secret: WebhookSecret, tolerance: TimeInterval = Self.defaultTolerance) {
        self.secret = secret
        self.tolerance = tolerance
    }

    /// Seed 000's `X-SeekAPI-Signature: t=…,v1=…[,v1=…]`.
    public func verifySeekSignature(header: String, body: [UInt8], now: Date = Date()) throws(WebhookVerificationError) {
        var timestamp: Int?
        var codes: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) }
            if pair[0] == "v1", let code = Hex.decode(pair[1]) { codes.append(code) }
        }
        guard let timestamp, !codes.isEmpty else { throw .malformedHeader("X-SeekAPI-Signature") }
        try check(timestamp: timestamp, now: now)
        let message = Array("\(timestamp).".utf8) + body
        guard codes.contains(where: { secret.signed(message, as: $0) }) else { throw .noMatchingSignature }
    }

    /// Standard Webhooks' `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,… [v1,…]`.
    public func verifyStandard(
        id: String,
        timestamp: String,
        signature: String,
        body: [UInt8],
        now: Date = Date()
    )
        throws(WebhookVerificationError)
    {
        guard !id.isEmpty else { throw .malformedHeader("webhook-id") }
        guard let seconds = Int(timestamp) else { throw .malformedHeader("webhook-timestamp") }
        let codes = signature.split(separator: " ").compactMap { entry -> [UInt8]? in
            guard entry.hasPrefix("v1,"), let code = Data(base64Encoded: String(entry.dropFirst(3))) else { return nil }
            return Array(code)
        }
        guard !codes.isEmpty else { throw .malformedHeader("webhook-signature") }
        try check(timestamp: seconds, now: now)
        let message = Array("\(id).\(seconds).".utf8) + body
        guard codes.contains(where: { secret.signed(message, as: $0) }) else { throw .noMatchingSignature }
    }

    private func check(timestamp: Int, now: Date) throws(WebhookVerificationError) {
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { throw .timestampOutsideTolerance }
    }
}

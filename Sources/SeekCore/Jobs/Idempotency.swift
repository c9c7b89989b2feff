import Crypto
import Foundation

/// The rules of the `Idempotency-Key` header.
public enum Idempotency {
    /// Replays of a key are honoured for this long; after it the key is new again.
    public static let window: TimeInterval = 24 * 3600

    /// Whether an earlier use of a key answers this request: true replays the earlier job, false means the
    /// key is new again (the earlier use is past the window); another request under the same key is a 422.
    public static func replays(earlier fingerprint: String, usedAt: Date, by claim: IdempotencyClaim, at now: Date) throws(SeekError) -> Bool {
        guard now.timeIntervalSince(usedAt) < window else { return false }
        guard fingerprint == claim.fingerprint else {
            throw SeekError(.unprocessableEntity, "This Idempotency-Key was already used with a different request.")
        }
        return true
    }

    /// Keys are 1 to 255 visible ASCII characters.
    public static func validate(_ key: String) throws(SeekError) {
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw SeekError(.badRequest, "Idempotency-Key must be 1 to 255 visible ASCII characters.")
        }
    }

    /// What makes two requests "the same": the worker and the exact body bytes.
    public static func fingerprint(workerID: String, body: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(workerID.utf8) + [0])
        hasher.update(data: Array(body))
        return Hex.encode(hasher.finalize())
    }
}

/// An `Idempotency-Key` and the fingerprint of the request that used it.
public struct IdempotencyClaim: Sendable, Equatable {
    public var key: String
    public var fingerprint: String
    public init(key: String, fingerprint: String) {
        self.key = key
        self.fingerprint = fingerprint
    }
}

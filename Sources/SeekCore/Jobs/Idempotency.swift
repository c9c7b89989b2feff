import Crypto

/// The rules of the `Idempotency-Key` header.
public enum Idempotency {
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

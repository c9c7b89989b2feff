import Crypto
import Foundation
import Synchronization

/// The kinds of identifiers Seek hands out, each `prefix_<ULID>`; ULIDs sort by time, so they double as cursors.
public enum IDKind: String, Sendable, CaseIterable {
    case job, file, ws, key, txn, whd
    /// A runner token's id (the token itself is `srt_…`).
    case rtk
    /// A dashboard user.
    case usr

    /// A fresh identifier of this kind.
    public func make(now: Date = Date()) -> String { "\(rawValue)_\(ULID.make(now: now))" }

    /// Whether `text` is shaped like an identifier of this kind (does not say whether it exists).
    public func matches(_ text: String) -> Bool {
        guard text.hasPrefix(rawValue + "_") else { return false }
        return ULID.isValid(text.dropFirst(rawValue.count + 1))
    }
}

/// Universally unique, lexicographically sortable identifiers (ulid/spec), monotonic within a process.
public enum ULID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private static let state = Mutex<(millis: UInt64, random: (UInt16, UInt64))>((0, (0, 0)))

    public static func make(now: Date = Date()) -> String {
        let nowMillis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let (millis, random) = state.withLock { state -> (UInt64, (UInt16, UInt64)) in
            if nowMillis <= state.millis {
                // Same millisecond (or a clock step back): increment so ids still sort in creation order.
                var (high, low) = state.random
                low &+= 1
                if low == 0 { high &+= 1 }
                state.random = (high, low)
            } else {
                state.millis = nowMillis
                var generator = SystemRandomNumberGenerator()
                // Leave headroom in the top bits so increments never overflow 80 bits.
                state.random = (UInt16.random(in: 0...0x7FFF, using: &generator), generator.next())
            }
            return (state.millis, state.random)
        }
        var chars = [UInt8](repeating: 0, count: 26)
        var time = millis
        for index in stride(from: 9, through: 0, by: -1) {
            chars[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        // 80 random bits: 16 high + 64 low, written as 16 base32 characters.
        var low = random.1
        var high = UInt64(random.0)
        for index in stride(from: 25, through: 10, by: -1) {
            chars[index] = alphabet[Int(low & 31)]
            low = (low >> 5) | ((high & 31) << 59)
            high >>= 5
        }
        return String(decoding: chars, as: UTF8.self)
    }

    public static func isValid(_ text: Substring) -> Bool {
        guard text.utf8.count == 26 else { return false }
        return text.utf8.allSatisfy { alphabet.contains($0) }
    }
}

/// Random secrets: API keys and other tokens.
public enum Secrets {
    private static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `sk_live_` + 43 base62 characters (256 bits of randomness).
    public static func makeAPIKey() -> String { "sk_live_" + random62(43) }

    /// `srt_` + 43 base62 characters: a runner token, good for one worker's runners.
    public static func makeRunnerToken() -> String { "srt_" + random62(43) }

    private static func random62(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<count).map { _ in base62[Int(generator.next(upperBound: UInt8(62)))] }, as: UTF8.self)
    }

    /// A dashboard session's token, the value of its cookie (256 bits of randomness).
    public static func makeSessionToken() -> String { random62(43) }

    /// What is stored for an API key: the key is high-entropy, so one SHA-256 suffices (bcrypt is for passwords).
    public static func hashAPIKey(_ key: String) -> String {
        Hex.encode(SHA256.hash(data: Array(key.utf8)))
    }

    /// The non-secret part shown in key lists.
    public static func displayPrefix(of key: String) -> String { String(key.prefix(12)) }
}

/// Worker ids are slugs.
public enum WorkerSlug {
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (2...63).contains(bytes.count) else { return false }
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (!first && byte == UInt8(ascii: "-"))
        }
        return allowed(bytes[0], first: true) && bytes.dropFirst().allSatisfy { allowed($0, first: false) }
    }
}

/// Lower-case hexadecimal, for digests.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of lower- or upper-case hex text; nil if it is not hex of whole bytes.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(chars.count / 2)
        for index in stride(from: 0, to: chars.count, by: 2) {
            guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}

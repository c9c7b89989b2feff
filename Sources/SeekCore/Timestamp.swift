import Foundation

/// RFC 3339 timestamps in UTC with milliseconds, as every API response writes them.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Written digit by digit: String(format:) is slow enough to show in a profile of every response.
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int, then separator: UInt8?) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
            if let separator { out.append(separator) }
        }
        digits(Int(parts.tm_year) + 1900, 4, then: UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2, then: UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2, then: UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2, then: UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2, then: UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2, then: UInt8(ascii: "."))
        digits(Int(millis % 1000), 3, then: UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    public static func json(_ date: Date?) -> JSONValue {
        date.map { .string(format($0)) } ?? .null
    }

    /// Reads an RFC 3339 date-time (`2026-03-01T00:00:00Z`, fractions and offsets allowed) or a date
    /// (`2026-03-01`, midnight UTC), as query filters take them; nil for anything else.
    public static func parse(_ text: String) -> Date? {
        if StringFormat.date.accepts(text) {
            return parse(text + "T00:00:00Z")
        }
        guard StringFormat.dateTime.accepts(text) else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.date(from: text.uppercased())
    }
}

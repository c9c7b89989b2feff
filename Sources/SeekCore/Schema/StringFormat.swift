/// The `format` values Seek asserts. Each check follows its RFC on ASCII bytes, so that
/// look-alike digits from other scripts never pass.
enum StringFormat: String {
    case email
    case uri
    case dateTime = "date-time"
    case date
    case uuid
    case ipv4
    case ipv6

    func accepts(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        switch self {
        case .email: return Self.isEmail(bytes)
        case .uri: return URIGrammar.isAbsoluteURI(bytes)
        case .dateTime: return Self.isDateTime(bytes)
        case .date: return Self.isFullDate(bytes[...])
        case .uuid: return Self.isUUID(bytes)
        case .ipv4: return IPGrammar.isIPv4(bytes[...])
        case .ipv6: return IPGrammar.isIPv6(bytes[...])
        }
    }

    // MARK: uuid (RFC 9562 textual form, any version or variant)

    static func isUUID(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if !ASCII.isHex(byte) {
                return false
            }
        }
        return true
    }

    // MARK: date-time (RFC 3339 §5.6, with the §5.7 leap-second rule)

    static func isDateTime(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") else { return false }
        guard isFullDate(bytes[0..<10]) else { return false }
        var index = 11
        guard let hour = ASCII.number(bytes, at: index, digits: 2), bytes[index + 2] == UInt8(ascii: ":"),
            let minute = ASCII.number(bytes, at: index + 3, digits: 2), bytes[index + 5] == UInt8(ascii: ":"),
            let second = ASCII.number(bytes, at: index + 6, digits: 2), hour <= 23, minute <= 59, second <= 60
        else { return false }
        index += 8
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, ASCII.isDigit(bytes[index]) { index += 1 }
            guard index > start else { return false }
        }
        guard index < bytes.count else { return false }
        var offsetMinutes = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            guard index + 6 == bytes.count, let offsetHour = ASCII.number(bytes, at: index + 1, digits: 2),
                bytes[index + 3] == UInt8(ascii: ":"), let offsetMinute = ASCII.number(bytes, at: index + 4, digits: 2),
                offsetHour <= 23, offsetMinute <= 59
            else { return false }
            offsetMinutes = sign * (offsetHour * 60 + offsetMinute)
            index += 6
        default:
            return false
        }
        guard index == bytes.count else { return false }
        if second == 60 {
            // A leap second is only ever 23:59:60 UTC.
            let utcMinutes = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
            return utcMinutes == 23 * 60 + 59
        }
        return true
    }

    static func isFullDate(_ bytes: ArraySlice<UInt8>) -> Bool {
        let bytes = Array(bytes)
        guard bytes.count == 10, let year = ASCII.number(bytes, at: 0, digits: 4), bytes[4] == UInt8(ascii: "-"),
            let month = ASCII.number(bytes, at: 5, digits: 2), bytes[7] == UInt8(ascii: "-"),
            let day = ASCII.number(bytes, at: 8, digits: 2), (1...12).contains(month), day >= 1
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    // MARK: email (RFC 5321 Mailbox: dot-atom or quoted local part; domain, IPv4 or IPv6 literal)

    static func isEmail(_ bytes: [UInt8]) -> Bool {
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        return isLocalPart(local) && isMailDomain(domain)
    }

    private static func isLocalPart(_ local: ArraySlice<UInt8>) -> Bool {
        guard !local.isEmpty, local.count <= 64 else { return false }
        if local.first == UInt8(ascii: "\""), local.count >= 2, local.last == UInt8(ascii: "\"") {
            var escaped = false
            for byte in local.dropFirst().dropLast() {
                if escaped {
                    guard (0x20...0x7E).contains(byte) else { return false }
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") || !(0x20...0x7E).contains(byte) {
                    return false
                }
            }
            return !escaped
        }
        // dot-atom: atext runs joined by single dots, none empty.
        var atomLength = 0
        for byte in local {
            if byte == UInt8(ascii: ".") {
                guard atomLength > 0 else { return false }
                atomLength = 0
            } else {
                guard ASCII.isAtext(byte) else { return false }
                atomLength += 1
            }
        }
        return atomLength > 0
    }

    private static func isMailDomain(_ domain: ArraySlice<UInt8>) -> Bool {
        if domain.first == UInt8(ascii: "["), domain.last == UInt8(ascii: "]"), domain.count > 2 {
            let literal = domain.dropFirst().dropLast()
            let ipv6Tag = Array("IPv6:".utf8)
            if literal.starts(with: ipv6Tag) { return IPGrammar.isIPv6(literal.dropFirst(ipv6Tag.count)) }
            return IPGrammar.isIPv4(literal)
        }
        return isHostname(domain)
    }

    static func isHostname(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        // Labels of 1–63 letters, digits and inner hyphens, joined by dots.
        var labelLength = 0
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
                labelLength = 0
            } else if ASCII.isAlphanumeric(byte) || (byte == UInt8(ascii: "-") && labelLength > 0) {
                labelLength += 1
                guard labelLength <= 63 else { return false }
            } else {
                return false
            }
            previous = byte
        }
        return labelLength > 0 && previous != UInt8(ascii: "-")
    }
}

/// IP address grammars (RFC 3986 §3.2.2): dotted-decimal IPv4 without leading zeros, and IPv6.
public enum IPGrammar {
    public static func isIPv4(_ bytes: ArraySlice<UInt8>) -> Bool {
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.allSatisfy(ASCII.isDigit) else { return false }
            if part.count > 1, part.first == UInt8(ascii: "0") { return false }
            return Int(String(decoding: part, as: UTF8.self))! <= 255
        }
    }

    public static func isIPv6(_ bytes: ArraySlice<UInt8>) -> Bool {
        let text = Array(bytes)
        guard !text.isEmpty else { return false }
        let halves = split(text, on: Array("::".utf8))
        guard halves.count <= 2 else { return false }
        func groups(_ part: [UInt8], allowIPv4Tail: Bool) -> Int? {
            if part.isEmpty { return 0 }
            let pieces = part.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            var count = 0
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowIPv4Tail, piece.contains(UInt8(ascii: ".")) {
                    guard isIPv4(piece) else { return nil }
                    count += 2
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(ASCII.isHex) else { return nil }
                    count += 1
                }
            }
            return count
        }
        if halves.count == 1 {
            return groups(halves[0], allowIPv4Tail: true) == 8
        }
        guard let head = groups(halves[0], allowIPv4Tail: false), let tail = groups(halves[1], allowIPv4Tail: true) else { return false }
        return head + tail <= 7
    }

    private static func split(_ bytes: [UInt8], on separator: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if index + separator.count <= bytes.count, Array(bytes[index..<index + separator.count]) == separator {
                parts.append(current)
                current = []
                index += separator.count
            } else {
                current.append(bytes[index])
                index += 1
            }
        }
        parts.append(current)
        return parts
    }
}

/// RFC 3986 `URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]`.
enum URIGrammar {
    static func isAbsoluteURI(_ bytes: [UInt8]) -> Bool {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return false }
        let scheme = bytes[..<colon]
        guard ASCII.isAlpha(scheme.first!),
            scheme.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") })
        else { return false }
        var rest = bytes[(colon + 1)...]
        var fragment: ArraySlice<UInt8>?
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) {
            fragment = rest[(hash + 1)...]
            rest = rest[..<hash]
        }
        var query: ArraySlice<UInt8>?
        if let question = rest.firstIndex(of: UInt8(ascii: "?")) {
            query = rest[(question + 1)...]
            rest = rest[..<question]
        }
        let extra: (UInt8) -> Bool = { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }
        if let query, !isEncoded(query, allowing: extra) { return false }
        if let fragment, !isEncoded(fragment, allowing: extra) { return false }
        var path = rest
        if rest.starts(with: [UInt8(ascii: "/"), UInt8(ascii: "/")]) {
            let afterSlashes = rest.dropFirst(2)
            let end = afterSlashes.firstIndex(of: UInt8(ascii: "/")) ?? afterSlashes.endIndex
            guard isAuthority(afterSlashes[..<end]) else { return false }
            path = afterSlashes[end...]
        }
        return isEncoded(path, allowing: { $0 == UInt8(ascii: "/") })
    }

    private static func isAuthority(_ authority: ArraySlice<UInt8>) -> Bool {
        var hostPort = authority
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
            guard isEncoded(authority[..<at], allowing: { _ in false }, pcharExtras: false, colon: true) else { return false }
            hostPort = authority[(at + 1)...]
        }
        var port: ArraySlice<UInt8> = []
        var host = hostPort
        if hostPort.first == UInt8(ascii: "[") {
            guard let close = hostPort.firstIndex(of: UInt8(ascii: "]")) else { return false }
            guard IPGrammar.isIPv6(hostPort[(hostPort.startIndex + 1)..<close]) else { return false }
            let after = hostPort[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { return false }
                port = after.dropFirst()
            }
            return port.allSatisfy(ASCII.isDigit)
        }
        if let colon = hostPort.firstIndex(of: UInt8(ascii: ":")) {
            host = hostPort[..<colon]
            port = hostPort[(colon + 1)...]
        }
        return port.allSatisfy(ASCII.isDigit) && isEncoded(host, allowing: { _ in false }, pcharExtras: false, colon: false)
    }

    /// Whether every byte is unreserved, a sub-delim, a valid %XX, or allowed by `allowing`;
    /// `pcharExtras` adds pchar's ":" and "@".
    private static func isEncoded(_ bytes: ArraySlice<UInt8>, allowing: (UInt8) -> Bool, pcharExtras: Bool = true, colon: Bool = true) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex, ASCII.isHex(bytes[index + 1]), ASCII.isHex(bytes[index + 2])
                else { return false }
                index += 3
                continue
            }
            let ok =
                ASCII.isUnreserved(byte) || ASCII.isSubDelim(byte) || allowing(byte)
                || (colon && byte == UInt8(ascii: ":")) || (pcharExtras && byte == UInt8(ascii: "@"))
            guard ok else { return false }
            index += 1
        }
        return true
    }
}

/// Byte classes shared by the format grammars and the email validator.
public enum ASCII {
    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    static func isAlpha(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    public static func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isAlpha(byte) }
    /// What a DNS label (LDH) may hold.
    public static func isLetterDigitHyphen(_ byte: UInt8) -> Bool { isAlphanumeric(byte) || byte == UInt8(ascii: "-") }
    static func isHex(_ byte: UInt8) -> Bool { isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte) }
    static func isUnreserved(_ byte: UInt8) -> Bool { isAlphanumeric(byte) || "-._~".utf8.contains(byte) }
    static func isSubDelim(_ byte: UInt8) -> Bool { "!$&'()*+,;=".utf8.contains(byte) }
    /// RFC 5322's atext, in ASCII.
    public static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "!"), UInt8(ascii: "#")...UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"),
            UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^")...UInt8(ascii: "`"), UInt8(ascii: "{")...UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    /// A fixed-width decimal number at `offset`, or nil if any byte is not an ASCII digit.
    static func number(_ bytes: [UInt8], at offset: Int, digits: Int) -> Int? {
        guard offset >= 0, offset + digits <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[offset..<offset + digits] {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }
}

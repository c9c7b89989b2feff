/// An IP address, as the SSRF guard judges it.
public enum IPAddress: Sendable, Equatable, CustomStringConvertible {
    case v4(UInt32)
    case v6([UInt8])

    public var description: String {
        switch self {
        case let .v4(value):
            return (0..<4).map { String((value >> (24 - 8 * UInt32($0))) & 0xFF) }.joined(separator: ".")
        case let .v6(bytes):
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
        }
    }
}

/// Which webhook targets Seek may connect to: only public unicast addresses, however they are spelled.
public enum AddressPolicy {
    /// Host names that always mean this machine, before any lookup.
    public static func isLocalName(_ host: String) -> Bool {
        let name = host.lowercased().trimmingTrailingDot
        return name == "localhost" || name.hasSuffix(".localhost") || name == "localhost.localdomain"
    }

    /// A host written as an address: dotted IPv4 in any of inet_aton's spellings (`127.1`, `0x7f.1`,
    /// `2130706433`, `017700000001`), or IPv6 with or without brackets. Nil for a name.
    public static func literal(_ host: String) -> IPAddress? {
        var text = host
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text.contains(":") { return parseIPv6(text).map(IPAddress.v6) }
        return parseIPv4(text).map(IPAddress.v4)
    }

    /// Whether an address is a public unicast address Seek may deliver to.
    public static func isPublic(_ address: IPAddress) -> Bool {
        switch address {
        case let .v4(value): return isPublicV4(value)
        case let .v6(bytes): return isPublicV6(bytes)
        }
    }

    // Blocked IPv4 ranges: (network, prefix length).
    private static let blockedV4: [(UInt32, Int)] = [
        (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
        (0x0A00_0000, 8),  // 10/8 private
        (0x6440_0000, 10),  // 100.64/10 carrier-grade NAT
        (0x7F00_0000, 8),  // 127/8 loopback
        (0xA9FE_0000, 16),  // 169.254/16 link-local, cloud metadata
        (0xAC10_0000, 12),  // 172.16/12 private
        (0xC000_0000, 24),  // 192.0.0/24 IETF protocol assignments
        (0xC000_0200, 24),  // 192.0.2/24 documentation
        (0xC058_6300, 24),  // 192.88.99/24 6to4 relay
        (0xC0A8_0000, 16),  // 192.168/16 private
        (0xC612_0000, 15),  // 198.18/15 benchmarking
        (0xC633_6400, 24),  // 198.51.100/24 documentation
        (0xCB00_7100, 24),  // 203.0.113/24 documentation
        (0xE000_0000, 4),  // 224/4 multicast
        (0xF000_0000, 4),  // 240/4 reserved, broadcast
    ]

    private static func isPublicV4(_ value: UInt32) -> Bool {
        !blockedV4.contains { network, length in value >> (32 - length) == network >> (32 - length) }
    }

    private static func isPublicV6(_ bytes: [UInt8]) -> Bool {
        let embedded = UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15])
        func prefix(_ pattern: [UInt8]) -> Bool { Array(bytes.prefix(pattern.count)) == pattern }
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) are judged by their IPv4.
        if prefix([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF]) { return isPublicV4(embedded) }
        if prefix([UInt8](repeating: 0, count: 12)) { return false }  // ::, ::1 and the deprecated compatible form
        if prefix([0x00, 0x64, 0xFF, 0x9B] + [UInt8](repeating: 0, count: 8)) { return isPublicV4(embedded) }
        if prefix([0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01]) { return false }  // 64:ff9b:1::/48 local-use NAT64
        if bytes[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if bytes[0] == 0xFE, bytes[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if bytes[0] == 0xFE, bytes[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 old site-local
        if bytes[0] == 0xFF { return false }  // ff00::/8 multicast
        if prefix([0x20, 0x01, 0x0D, 0xB8]) { return false }  // 2001:db8::/32 documentation
        if prefix([0x01, 0x00, 0, 0, 0, 0, 0, 0]) { return false }  // 100::/64 discard
        if prefix([0x20, 0x02]) {  // 6to4: judged by the IPv4 in bits 16–47
            return isPublicV4(UInt32(bytes[2]) << 24 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 8 | UInt32(bytes[5]))
        }
        return true
    }

    /// inet_aton's forms: one to four parts, each decimal, octal (leading 0) or hex (0x); the last part
    /// fills the remaining bytes. Browsers and resolvers accept these, so the guard must too.
    static func parseIPv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            let lower = part.lowercased()
            let value: UInt64?
            if lower.hasPrefix("0x") {
                value = lower.count == 2 ? 0 : UInt64(lower.dropFirst(2), radix: 16)
            } else if lower.count > 1, lower.hasPrefix("0") {
                value = UInt64(lower.dropFirst(), radix: 8)
            } else {
                value = lower.isEmpty ? nil : UInt64(lower, radix: 10)
            }
            guard let value, lower.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
            values.append(value)
        }
        var result: UInt64 = 0
        for (index, value) in values.enumerated() {
            if index < values.count - 1 {
                guard value <= 0xFF else { return nil }
                result |= value << (8 * UInt64(3 - index))
            } else {
                let remainingBytes = 4 - index
                guard value < (UInt64(1) << (8 * UInt64(remainingBytes))) else { return nil }
                result |= value
            }
        }
        return UInt32(result)
    }

    static func parseIPv6(_ raw: String) -> [UInt8]? {
        // A zone (%eth0) names an interface: only meaningful for link-local, refused below anyway.
        let text = raw.split(separator: "%", maxSplits: 1).first.map(String.init) ?? raw
        guard StringFormat.ipv6.accepts(text) else { return nil }
        let halves = text.components(separatedBy: "::")
        func groups(_ part: String) -> [UInt8] {
            guard !part.isEmpty else { return [] }
            var bytes: [UInt8] = []
            for piece in part.split(separator: ":") {
                if piece.contains("."), let v4 = parseIPv4(String(piece)) {
                    bytes += [UInt8(v4 >> 24), UInt8(v4 >> 16 & 0xFF), UInt8(v4 >> 8 & 0xFF), UInt8(v4 & 0xFF)]
                } else if let value = UInt16(piece, radix: 16) {
                    bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
                }
            }
            return bytes
        }
        let head = groups(halves[0])
        let tail = halves.count == 2 ? groups(halves[1]) : []
        let bytes = head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
        return bytes.count == 16 ? bytes : nil
    }
}

extension String {
    public var trimmingTrailingDot: String { hasSuffix(".") ? String(dropLast()) : self }
}

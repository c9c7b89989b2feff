/// Which character set a response body is in, decided the way browsers do (WHATWG's encoding sniffing,
/// without the statistical guess): a byte-order mark, then the Content-Type's `charset`, then for HTML a
/// `<meta charset>` or `<meta http-equiv=Content-Type>` in the first 1,024 bytes; else UTF-8 when the bytes
/// are valid UTF-8, and windows-1252 (what a page without a label almost always is) when not.
public enum Charset {
    public static func detect(_ bytes: [UInt8], contentType: String) -> String {
        if let bom = byteOrderMark(bytes) { return bom }
        if let label = parameter("charset", of: contentType), let name = canonical(label) { return name }
        if isHTML(contentType, bytes), let label = metaCharset(bytes.prefix(1024)), let name = canonical(label) {
            // A page that says UTF-16 in ASCII bytes is not UTF-16 (WHATWG): it is UTF-8.
            return name.hasPrefix("utf-16") ? "utf-8" : name
        }
        return String(validating: bytes, as: UTF8.self) != nil ? "utf-8" : "windows-1252"
    }

    /// A label in the spelling libxml2 and iconv know, with the common aliases folded; nil when empty.
    static func canonical(_ label: String) -> String? {
        let name = label.trimmingWhitespace.lowercased()
        guard !name.isEmpty, name.count <= 40, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:".contains($0) }) else { return nil }
        switch name {
        case "utf8", "unicode-1-1-utf-8", "x-unicode20utf8": return "utf-8"
        // WHATWG: these labels all mean windows-1252, which is a superset of Latin-1's printable range.
        case "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "us-ascii", "ascii", "cp1252", "x-cp1252", "l1": return "windows-1252"
        case "shift_jis", "sjis", "x-sjis", "ms_kanji": return "shift_jis"
        default: return name
        }
    }

    static func byteOrderMark(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return "utf-8" }
        if bytes.starts(with: [0xFE, 0xFF]) { return "utf-16be" }
        if bytes.starts(with: [0xFF, 0xFE]) { return "utf-16le" }
        return nil
    }

    /// A parameter of a header value such as `text/html; charset="ISO-8859-1"`.
    static func parameter(_ name: String, of header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingWhitespace.lowercased() == name else { continue }
            var value = pair[1].trimmingWhitespace
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    private static func isHTML(_ contentType: String, _ bytes: [UInt8]) -> Bool {
        let type = contentType.lowercased()
        return type.contains("html") || type.isEmpty || type.hasPrefix("application/octet-stream")
    }

    /// The charset a `<meta>` in `head` declares: a scan of tags and their attributes (the prescan of
    /// WHATWG's HTML standard, simplified), skipping comments.
    static func metaCharset(_ head: ArraySlice<UInt8>) -> String? {
        var scanner = TagScanner(head)
        while let tag = scanner.nextTag() {
            guard tag.name == "meta" else { continue }
            if let charset = tag.attributes["charset"] { return charset }
            if tag.attributes["http-equiv"]?.lowercased() == "content-type", let content = tag.attributes["content"],
                let charset = parameter("charset", of: "x;" + content.split(separator: ";").dropFirst().joined(separator: ";"))
            {
                return charset
            }
        }
        return nil
    }
}

/// Start tags and their attributes in a prefix of an HTML document, byte by byte.
struct TagScanner {
    struct Tag {
        var name: String
        var attributes: [String: String]
    }

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    mutating func nextTag() -> Tag? {
        while index < bytes.endIndex {
            guard bytes[index] == UInt8(ascii: "<") else {
                index += 1
                continue
            }
            if bytes[index...].starts(with: Array("<!--".utf8)) {
                skipPast(Array("-->".utf8))
                continue
            }
            index += 1
            guard index < bytes.endIndex, isLetter(bytes[index]) else { continue }
            let name = word()
            var attributes: [String: String] = [:]
            while let (key, value) = attribute() {
                if attributes[key] == nil { attributes[key] = value }
            }
            return Tag(name: name, attributes: attributes)
        }
        return nil
    }

    private mutating func attribute() -> (String, String)? {
        skipSpace()
        guard index < bytes.endIndex, bytes[index] != UInt8(ascii: ">") else {
            index += 1
            return nil
        }
        if bytes[index] == UInt8(ascii: "/") {
            index += 1
            return attribute()
        }
        let key = word(until: [UInt8(ascii: "="), UInt8(ascii: ">"), UInt8(ascii: "/")])
        skipSpace()
        guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "=") else { return (key, "") }
        index += 1
        skipSpace()
        guard index < bytes.endIndex else { return (key, "") }
        let quote = bytes[index]
        if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
            index += 1
            let start = index
            while index < bytes.endIndex, bytes[index] != quote { index += 1 }
            defer { index += 1 }
            return (key, String(decoding: bytes[start..<min(index, bytes.endIndex)], as: UTF8.self))
        }
        return (key, word(until: [UInt8(ascii: ">")], lowercase: false))
    }

    private mutating func word(until stops: [UInt8] = [UInt8(ascii: ">"), UInt8(ascii: "/")], lowercase: Bool = true) -> String {
        let start = index
        while index < bytes.endIndex, !isSpace(bytes[index]), !stops.contains(bytes[index]) { index += 1 }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        return lowercase ? text.lowercased() : text
    }

    private mutating func skipSpace() {
        while index < bytes.endIndex, isSpace(bytes[index]) { index += 1 }
    }

    private mutating func skipPast(_ marker: [UInt8]) {
        while index < bytes.endIndex, !bytes[index...].starts(with: marker) { index += 1 }
        index = min(bytes.endIndex, index + marker.count)
    }

    private func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D }
    private func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

import CLibXML2

/// An HTML page parsed by libxml2's HTML parser, which recovers from broken markup the way browsers mostly do.
/// Hostile pages stay bounded: libxml2 stops at 256 levels of nesting (what lies deeper is dropped) and at
/// 10 MB for one text or attribute, and the network never feeds it more than the fetch limit. A document is
/// read by one task at a time.
public final class HTMLDocument {
    let pointer: htmlDocPtr
    /// The page's address, against which its relative links resolve (a `<base href>` takes its place).
    public let url: String

    private static let started: Void = xmlInitParser()

    /// Parses `bytes` in `charset` (as `Charset.detect` names it). A charset libxml2 cannot decode is read as
    /// windows-1252, which maps every byte; invalid UTF-8 in a UTF-8 page makes libxml2 switch to Latin-1.
    public init(bytes: [UInt8], url: String, charset: String? = "utf-8") throws(HTMLParseError) {
        _ = Self.started
        guard !bytes.isEmpty, bytes.count < Int32.max else { throw HTMLParseError(message: "the page is empty") }
        let encoding = charset.flatMap { name in seek_knows_encoding(name) != 0 ? name : nil } ?? "windows-1252"
        let options =
            Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue)
            | Int32(HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue)
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start in
                htmlReadMemory(start, Int32(buffer.count), url, encoding, options)
            }
        }
        guard let parsed else { throw HTMLParseError(message: "libxml2 could not read the page") }
        pointer = parsed
        self.url = url
    }

    deinit {
        xmlFreeDoc(pointer)
    }

    /// Visits `start` (the root by default) and the elements below it in document order, without recursion;
    /// `visit` answers whether to go below the element it was given.
    public func walk(from start: HTMLElement? = nil, _ visit: (HTMLElement) -> WalkStep) {
        guard let top = start?.node ?? xmlDocGetRootElement(pointer) else { return }
        var node: xmlNodePtr? = top
        while let current = node {
            var next: xmlNodePtr?
            if current.pointee.type == XML_ELEMENT_NODE, visit(HTMLElement(node: current, document: self)) == .descend {
                next = current.pointee.children
            }
            // Else the next sibling, or the next sibling of the nearest ancestor that has one, not leaving `top`.
            var climber: xmlNodePtr? = current
            while next == nil, let at = climber, at != top {
                next = at.pointee.next
                climber = at.pointee.parent
            }
            node = next
        }
    }

    public enum WalkStep {
        case descend
        case skipChildren
    }
}

public struct HTMLParseError: Error, Sendable, Equatable {
    public var message: String
}

/// One element of a parsed page; valid while its document lives (it keeps it alive).
public struct HTMLElement {
    let node: xmlNodePtr
    public let document: HTMLDocument

    /// The tag name, lowercase.
    public var name: String { String(cString: node.pointee.name) }

    /// The attribute's value (lowercase name); nil when absent.
    public func attribute(_ name: String) -> String? {
        guard let attribute = name.withCString({ seek_find_attribute(node, $0) }) else { return nil }
        if let stored = seek_attribute_text(attribute) { return String(cString: stored) }
        guard let copy = seek_text(UnsafeMutableRawPointer(attribute).assumingMemoryBound(to: xmlNode.self)) else { return "" }
        defer { seek_free(copy) }
        return String(cString: copy)
    }

    public func hasAttribute(_ name: String) -> Bool {
        name.withCString { seek_find_attribute(node, $0) } != nil
    }

    /// The text of the element and everything below it, as written.
    public var rawText: String {
        guard let text = seek_text(node) else { return "" }
        defer { seek_free(text) }
        return String(cString: text)
    }

    /// The text with runs of white space made one space, trimmed.
    public var text: String { rawText.collapsingWhitespace }

    /// The `class` attribute's tokens, which HTML separates with ASCII white space.
    public var classes: [String] {
        attribute("class")?.utf8.split(whereSeparator: String.isASCIIWhitespace).map { String(decoding: $0, as: UTF8.self) } ?? []
    }
}

extension String {
    /// White space runs as one space, none at the ends. Read by scalar, ASCII first: this runs on every text
    /// and label a page has, and splitting into Characters cost more than libxml2's whole parse.
    public var collapsingWhitespace: String {
        var collapsed = ""
        collapsed.reserveCapacity(utf8.count)
        var pendingSpace = false
        for scalar in unicodeScalars {
            let white = scalar.isASCII ? Self.isASCIIWhitespace(UInt8(scalar.value)) : scalar.properties.isWhitespace
            if white {
                pendingSpace = !collapsed.isEmpty
                continue
            }
            if pendingSpace {
                collapsed.unicodeScalars.append(" ")
                pendingSpace = false
            }
            collapsed.unicodeScalars.append(scalar)
        }
        return collapsed
    }

    /// Space, tab, line feed, vertical tab, form feed, carriage return.
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    /// Without ASCII white space at either end.
    public var trimmingASCIIWhitespace: Substring {
        let bytes = utf8
        guard let first = bytes.firstIndex(where: { !Self.isASCIIWhitespace($0) }), let last = bytes.lastIndex(where: { !Self.isASCIIWhitespace($0) })
        else { return "" }
        return self[first...last]
    }
}

import Foundation
import OrderedCollections
import SeekCore

/// What a page publishes about itself in machine-readable form, read in one pass over its elements:
/// schema.org JSON-LD, microdata (as JSON-LD-shaped objects, so one reader serves both), OpenGraph and
/// similar `<meta>` properties, hCard (microformats 1 and 2), and the link to the next page of results.
public struct PageData {
    public var title: String?
    /// JSON-LD nodes: each script's top-level objects, array members and `@graph` members.
    public var jsonLD: [JSONValue] = []
    /// Microdata's top-level items: `{"@type": "Apartment", "name": …, "offers": {…}}`.
    public var microdata: [JSONValue] = []
    /// `<meta property|name>` values by lowercase key (`og:title`, `profile:first_name`, `description`); the
    /// first of each wins.
    public var meta: [String: String] = [:]
    /// hCards by property (`name`, `job_title`, `org`, `locality`, `country`, `url`, `photo`, `note`).
    public var hCards: [[String: String]] = []
    /// The next page of a paginated list, absolute: `rel=next`, else a link that says "next" the common ways.
    public var nextPage: String?

    /// JSON-LD scripts larger than this are skipped.
    static let maxScriptBytes = 2 * 1024 * 1024

    public init(_ document: HTMLDocument) {
        var base = URL(string: document.url)
        var paginationGuess: String?
        var scopes: [HTMLElement] = []
        var cards: [HTMLElement] = []
        document.walk { element in
            switch element.name {
            case "script":
                if let type = element.attribute("type")?.lowercased(), type.contains("ld+json") { readJSONLD(element.rawText) }
                return .skipChildren
            case "style":
                return .skipChildren
            case "title":
                if title == nil { title = element.text }
            case "base":
                if let href = element.attribute("href"), let resolved = URL(string: href, relativeTo: base)?.absoluteURL { base = resolved }
            case "meta":
                if let key = (element.attribute("property") ?? element.attribute("name"))?.lowercased(), let content = element.attribute("content"),
                    meta[key] == nil
                {
                    meta[key] = content
                }
            case "link", "a":
                guard let href = element.attribute("href"), !href.hasPrefix("#"), !href.lowercased().hasPrefix("javascript:") else { break }
                let rel = element.attribute("rel")?.lowercased().split(whereSeparator: \.isWhitespace) ?? []
                if nextPage == nil, rel.contains("next") {
                    nextPage = URL(string: href, relativeTo: base)?.absoluteString
                } else if paginationGuess == nil, element.name == "a", Self.saysNext(element) {
                    paginationGuess = URL(string: href, relativeTo: base)?.absoluteString
                }
            default:
                break
            }
            if element.hasAttribute("itemscope"), !element.hasAttribute("itemprop") { scopes.append(element) }
            if element.classes.contains(where: { $0 == "vcard" || $0 == "h-card" }) { cards.append(element) }
            return .descend
        }
        nextPage = nextPage ?? paginationGuess
        microdata = scopes.map { Microdata.item($0, depth: 0) }
        hCards = cards.map(HCard.properties)
    }

    private mutating func readJSONLD(_ text: String) {
        guard text.utf8.count <= Self.maxScriptBytes else { return }
        var body = text.trimmingASCIIWhitespace
        // Pages wrap scripts in comment or CDATA markers for old browsers.
        for (open, close) in [("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>")] where body.hasPrefix(open) {
            body = body.dropFirst(open.count)
            if body.hasSuffix(close) { body = body.dropLast(close.count) }
        }
        if body.hasSuffix(";") { body.removeLast() }
        guard let value = try? JSONParser.parse(body.utf8) else { return }
        collect(value, depth: 0)
    }

    private mutating func collect(_ value: JSONValue, depth: Int) {
        guard depth < 4 else { return }
        switch value {
        case let .array(members):
            for member in members { collect(member, depth: depth + 1) }
        case let .object(object):
            if let graph = object["@graph"] {
                collect(graph, depth: depth + 1)
                if object["@type"] == nil { return }
            }
            jsonLD.append(value)
        default:
            break
        }
    }

    private static let nextWords: Set<String> = [
        "next", "next page", "next ›", "next »", "›", "»", "→", "suivant", "suivante", "page suivante", "weiter", "nächste", "nächste seite",
        "siguiente", "successivo", "volgende", "próxima", "seguinte",
    ]

    /// A pagination link without `rel=next`: its text, `aria-label` or `title` says next, or a class token does.
    private static func saysNext(_ element: HTMLElement) -> Bool {
        for label in [element.attribute("aria-label"), element.attribute("title"), element.rawText] {
            // No word for "next" is longer than this: a long text is not worth collapsing.
            if let label, label.utf8.count <= 256, nextWords.contains(label.collapsingWhitespace.lowercased()) { return true }
        }
        return element.classes.contains { token in
            let lower = token.lowercased()
            return lower == "next" || lower.hasSuffix("-next") || lower.hasSuffix("_next") || lower.hasPrefix("next-") || lower == "pagination__next"
        }
    }
}

/// Microdata (WHATWG HTML §5) as JSON-LD-shaped objects.
enum Microdata {
    /// An item: its type, id, and properties; a property given twice becomes an array.
    static func item(_ scope: HTMLElement, depth: Int) -> JSONValue {
        var object: OrderedDictionary<String, JSONValue> = [:]
        if let type = scope.attribute("itemtype")?.split(whereSeparator: \.isWhitespace).first {
            object["@type"] = .string(String(type.split(separator: "/").last ?? type))
        }
        if let id = scope.attribute("itemid") { object["@id"] = .string(id) }
        scope.document.walk(from: scope) { element in
            if element.node == scope.node { return .descend }
            guard let names = element.attribute("itemprop") else { return .descend }
            // libxml2 caps nesting at 256, so this recursion is bounded too.
            let value = element.hasAttribute("itemscope") && depth < 32 ? item(element, depth: depth + 1) : .string(self.value(element))
            for name in names.split(whereSeparator: \.isWhitespace).map(String.init) {
                switch object[name] {
                case nil: object[name] = value
                case let .array(values)?: object[name] = .array(values + [value])
                case let existing?: object[name] = .array([existing, value])
                }
            }
            // A nested item's properties are its own.
            return element.hasAttribute("itemscope") ? .skipChildren : .descend
        }
        return .object(object)
    }

    /// A property's value by its element (WHATWG HTML §5.2.4).
    static func value(_ element: HTMLElement) -> String {
        let attribute: String? =
            switch element.name {
            case "meta": "content"
            case "audio", "embed", "iframe", "img", "source", "track", "video": "src"
            case "a", "area", "link": "href"
            case "object": "data"
            case "data", "meter": "value"
            case "time": "datetime"
            default: nil
            }
        if let attribute, let value = element.attribute(attribute) {
            if ["src", "href", "data"].contains(attribute), let absolute = URL(string: value, relativeTo: URL(string: element.document.url)) {
                return absolute.absoluteString
            }
            return value
        }
        return element.text
    }
}

/// hCard, in microformats 1 (`vcard`, `fn`, `org`…) and 2 (`h-card`, `p-name`, `p-org`…) class names.
enum HCard {
    private static let classes: [String: String] = [
        "fn": "name", "p-name": "name", "title": "job_title", "p-job-title": "job_title", "role": "role", "p-role": "role",
        "org": "org", "p-org": "org", "organization-name": "org", "locality": "locality", "p-locality": "locality",
        "region": "region", "p-region": "region", "country-name": "country", "p-country-name": "country", "url": "url", "u-url": "url",
        "photo": "photo", "u-photo": "photo", "note": "note", "p-note": "note", "p-summary": "note",
    ]

    static func properties(_ card: HTMLElement) -> [String: String] {
        var found: [String: String] = [:]
        card.document.walk(from: card) { element in
            if element.node != card.node, element.classes.contains(where: { $0 == "vcard" || $0 == "h-card" }) {
                // A nested card (an org's, a colleague's) speaks for someone else.
                return .skipChildren
            }
            for token in element.classes {
                guard let property = classes[String(token)], found[property] == nil else { continue }
                let value: String
                switch property {
                case "url": value = element.attribute("href") ?? element.text
                case "photo": value = element.attribute("src") ?? element.attribute("href") ?? ""
                default: value = element.text
                }
                if !value.isEmpty { found[property] = value }
            }
            return .descend
        }
        return found
    }
}

import Foundation
import SeekCore
import SeekHTML

/// Reading schema.org values the many ways pages write them: a type as a string, a URL or a list; a value as
/// itself, a list of it, or an object (`QuantitativeValue`, `PropertyValue`, `ImageObject`) around it.
enum SchemaOrg {
    /// A node's types without their vocabulary prefix: `["Apartment", "Offer"]`.
    static func types(_ node: JSONValue) -> [String] {
        guard let raw = node["@type"] else { return [] }
        return (raw.arrayValue ?? [raw]).compactMap { $0.stringValue.map(localName) }
    }

    /// `https://schema.org/Apartment` and `schema:Apartment` are `Apartment`.
    static func localName(_ type: String) -> String {
        guard let cut = type.utf8.lastIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") }) else { return type }
        let name = type[type.utf8.index(after: cut)...]
        return name.isEmpty ? type : String(name)
    }

    static func isA(_ node: JSONValue, _ names: Set<String>) -> Bool {
        types(node).contains(where: names.contains)
    }

    /// The first of a value that may be a list.
    static func first(_ value: JSONValue?) -> JSONValue? {
        guard let value else { return nil }
        if let list = value.arrayValue { return list.first }
        return value == .null ? nil : value
    }

    /// Every element of a value that may be a list.
    static func all(_ value: JSONValue?) -> [JSONValue] {
        guard let value, value != .null else { return [] }
        return value.arrayValue ?? [value]
    }

    /// Text: a string, a number, or an object's `name` or `value`; trimmed, nil when empty.
    static func text(_ value: JSONValue?) -> String? {
        guard let value = first(value) else { return nil }
        let text: String?
        switch value {
        case let .string(string): text = string
        case .integer, .double: text = value.serializedString
        case .object: text = self.text(value["name"]) ?? self.text(value["value"])
        default: text = nil
        }
        let trimmed = text?.collapsingWhitespace
        return trimmed?.isEmpty == false ? trimmed : nil
    }

    /// A URL: a string, or an object's `url`, `contentUrl` or `@id`, made absolute against `base`.
    static func url(_ value: JSONValue?, base: String) -> String? {
        guard let value = first(value) else { return nil }
        let raw = value.stringValue ?? value["url"]?.stringValue ?? value["contentUrl"]?.stringValue ?? value["@id"]?.stringValue
        guard let raw, let url = URL(string: String(raw.trimmingASCIIWhitespace), relativeTo: URL(string: base))?.absoluteURL,
            ["http", "https"].contains(url.scheme?.lowercased() ?? "")
        else { return nil }
        return url.absoluteString
    }

    /// A number: a JSON number, a `QuantitativeValue`'s `value`, or a string such as `320 000`, `320,000.50` or
    /// `1.250.000 €`.
    static func number(_ value: JSONValue?) -> Double? {
        guard let value = first(value) else { return nil }
        if let number = value.numberValue { return number }
        if value.objectValue != nil { return number(value["value"]) ?? number(value["price"]) }
        guard let text = value.stringValue else { return nil }
        return parseNumber(text)
    }

    static func parseNumber(_ text: String) -> Double? {
        // Keep digits and the separators; spaces (also thin and no-break ones) and apostrophes group thousands.
        var kept = ""
        for scalar in text.unicodeScalars {
            if ("0"..."9").contains(scalar) || scalar == "." || scalar == "," {
                kept.unicodeScalars.append(scalar)
            } else if !kept.isEmpty, !(scalar.properties.isWhitespace || scalar == "'" || scalar == "\u{2019}") {
                if kept.last.map({ $0.isNumber }) == true { break }
            }
        }
        guard !kept.isEmpty else { return nil }
        let dots = kept.filter { $0 == "." }.count
        let commas = kept.filter { $0 == "," }.count
        var normalized = kept
        if dots > 0, commas > 0 {
            // The later separator is the decimal one: 1.250.000,50 and 1,250,000.50.
            let decimal: Character = kept.lastIndex(of: ",")! > kept.lastIndex(of: ".")! ? "," : "."
            normalized = kept.filter { $0 != (decimal == "," ? "." : ",") }.replacingOccurrences(of: ",", with: ".")
        } else if dots + commas > 1 || Self.groupsThousands(kept) {
            normalized = kept.filter { $0 != "." && $0 != "," }
        } else {
            normalized = kept.replacingOccurrences(of: ",", with: ".")
        }
        return Double(normalized)
    }

    /// `320.000` or `320,000`: one separator followed by exactly three digits groups thousands.
    private static func groupsThousands(_ text: String) -> Bool {
        guard let separator = text.firstIndex(where: { $0 == "." || $0 == "," }) else { return false }
        let after = text[text.index(after: separator)...]
        return after.count == 3 && text[..<separator].count <= 3 && !text[..<separator].isEmpty && text[..<separator] != "0"
    }
}

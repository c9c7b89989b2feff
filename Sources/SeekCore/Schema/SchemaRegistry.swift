import Foundation
import OrderedCollections

/// Every schema resource a compiled schema may reach, by absolute URI: its own, those of the documents it was
/// given, and the 2020-12 meta-schemas. Built once at compile time; read-only while validating.
struct SchemaRegistry: Sendable {
    struct Resource: Sendable {
        var root: JSONValue
        var anchors: [String: JSONValue] = [:]
        var dynamicAnchors: Set<String> = []
    }

    private(set) var resources: [String: Resource] = [:]
    private(set) var patterns: Set<String> = []

    /// Keywords whose value is data, not schemas: nothing inside them is registered.
    private static let schemaMaps: Set<String> = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]
    private static let schemaLists: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems"]
    private static let schemaValues: Set<String> = [
        "items", "additionalProperties", "unevaluatedItems", "unevaluatedProperties", "contains", "propertyNames", "not", "if", "then",
        "else", "contentSchema", "additionalItems",
    ]

    /// Registers a document retrieved from `uri`; returns the base URI of its root.
    @discardableResult
    mutating func add(_ document: JSONValue, at uri: String) -> String {
        var ignored: [(base: String, ref: String)] = []
        return add(document, at: uri, references: &ignored)
    }

    /// Registers a document and collects the references it makes, each with the base it resolves against.
    mutating func add(_ document: JSONValue, at uri: String, references: inout [(base: String, ref: String)]) -> String {
        let retrieval = URIReference.withoutFragment(uri)
        if resources[retrieval] == nil { resources[retrieval] = Resource(root: document) }
        var rootBase = retrieval
        walk(document, base: retrieval, isRoot: true, rootBase: &rootBase, references: &references)
        return rootBase
    }

    private mutating func walk(
        _ node: JSONValue,
        base: String,
        isRoot: Bool,
        rootBase: inout String,
        references: inout [(base: String, ref: String)]
    ) {
        guard case let .object(members) = node else { return }
        var base = base
        if let id = members["$id"]?.stringValue, let resolved = URIReference.resolve(id, against: base) {
            base = URIReference.withoutFragment(resolved)
            if resources[base] == nil { resources[base] = Resource(root: node) }
            if isRoot { rootBase = base }
        }
        if let anchor = members["$anchor"]?.stringValue { resources[base]?.anchors[anchor] = node }
        if let anchor = members["$dynamicAnchor"]?.stringValue {
            resources[base]?.anchors[anchor] = node
            resources[base]?.dynamicAnchors.insert(anchor)
        }
        for key in ["$ref", "$dynamicRef"] { if let ref = members[key]?.stringValue { references.append((base, ref)) } }
        if let pattern = members["pattern"]?.stringValue { patterns.insert(pattern) }
        patterns.formUnion(members["patternProperties"]?.objectValue?.keys ?? [])
        for (key, value) in members {
            if Self.schemaValues.contains(key) {
                walk(value, base: base, isRoot: false, rootBase: &rootBase, references: &references)
            } else if Self.schemaMaps.contains(key) {
                for subschema in value.objectValue.map({ Array($0.values) }) ?? [] {
                    walk(subschema, base: base, isRoot: false, rootBase: &rootBase, references: &references)
                }
            } else if Self.schemaLists.contains(key) {
                for subschema in value.arrayValue ?? [] {
                    walk(subschema, base: base, isRoot: false, rootBase: &rootBase, references: &references)
                }
            }
        }
    }

    /// The schema `reference` names from a schema whose base is `base`, and the base inside it. A target
    /// reached by a JSON pointer gets its resource's base; its own `$id`, if it has one, then applies on top.
    func lookup(_ reference: String, from base: String) -> (JSONValue, String)? {
        target(reference, from: base).map { ($0.schema, $0.base) }
    }

    /// A reference's target, and whether the base returned is the target's own (the target is a resource
    /// root, reached by its URI or an anchor in it) or that of the resource a pointer went into.
    func target(_ reference: String, from base: String) -> (schema: JSONValue, base: String, ownBase: Bool)? {
        guard let absolute = URIReference.resolve(reference, against: base) else { return nil }
        let (resourceURI, fragment) = URIReference.split(absolute)
        guard let resource = resources[resourceURI] else { return nil }
        if fragment.isEmpty { return (resource.root, resourceURI, true) }
        if fragment.hasPrefix("/") {
            return Self.pointer(fragment, in: resource.root).map { ($0, resourceURI, false) }
        }
        return resource.anchors[fragment].map { ($0, resourceURI, true) }
    }

    /// Whether a schema that names `metaSchema` as its `$schema` is held to the validation vocabulary: only
    /// a known meta-schema whose `$vocabulary` leaves it out turns it off.
    func usesValidation(_ metaSchema: String?, from base: String) -> Bool {
        guard let metaSchema, let (document, _) = lookup(metaSchema, from: base), let vocabularies = document["$vocabulary"]?.objectValue else {
            return true
        }
        return vocabularies["https://json-schema.org/draft/2020-12/vocab/validation"] != nil
    }

    /// The node a JSON Pointer (percent-decoded, `~0`/`~1` escaped) names within `root`.
    static func pointer(_ pointer: String, in root: JSONValue) -> JSONValue? {
        let decoded = pointer.removingPercentEncoding ?? pointer
        var node = root
        for rawToken in decoded.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = rawToken.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case let .object(members):
                guard let next = members[token] else { return nil }
                node = next
            case let .array(elements):
                guard let index = Int(token), elements.indices.contains(index) else { return nil }
                node = elements[index]
            default:
                return nil
            }
        }
        return node
    }
}

/// RFC 3986 reference resolution, enough for schema identifiers: absolute URIs (including URNs), network
/// paths, absolute and relative paths with dot segments, queries and fragments.
enum URIReference {
    /// `reference` resolved against `base`; nil when it cannot be (a relative reference against a URN).
    static func resolve(_ reference: String, against base: String) -> String? {
        if hasScheme(reference) { return removingDotSegments(inURI: reference) }
        if reference.isEmpty { return base }
        if reference.hasPrefix("#") { return withoutFragment(base) + reference }
        guard let (scheme, rest) = splitScheme(base) else { return nil }
        if reference.hasPrefix("//") { return "\(scheme):\(removingDotSegments(inURI: reference))" }
        // URNs and other URIs without an authority take only fragments (handled above).
        guard rest.hasPrefix("//") else { return nil }
        let afterSlashes = rest.dropFirst(2)
        let authorityEnd = afterSlashes.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterSlashes.endIndex
        let authority = String(afterSlashes[..<authorityEnd])
        var basePath = String(afterSlashes[authorityEnd...])
        if let cut = basePath.firstIndex(where: { $0 == "?" || $0 == "#" }) { basePath = String(basePath[..<cut]) }
        let path: String
        if reference.hasPrefix("/") {
            path = reference
        } else if reference.hasPrefix("?") {
            path = basePath + reference
        } else {
            let directory = basePath.isEmpty ? "/" : String(basePath[...(basePath.lastIndex(of: "/") ?? basePath.startIndex)])
            path = (directory.hasSuffix("/") ? directory : directory + "/") + reference
        }
        return "\(scheme)://\(authority)\(removingDotSegments(path))"
    }

    static func withoutFragment(_ uri: String) -> String { split(uri).resource }

    static func split(_ uri: String) -> (resource: String, fragment: String) {
        guard let hash = uri.firstIndex(of: "#") else { return (uri, "") }
        return (String(uri[..<hash]), String(uri[uri.index(after: hash)...]))
    }

    private static func hasScheme(_ text: String) -> Bool { splitScheme(text) != nil }

    private static func splitScheme(_ text: String) -> (String, Substring)? {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return nil }
        let scheme = text[..<colon]
        guard scheme.first?.isLetter == true, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else { return nil }
        return (String(scheme), text[text.index(after: colon)...])
    }

    /// Dot segments removed from the path of an absolute URI with an authority (others are left as they are).
    private static func removingDotSegments(inURI uri: String) -> String {
        guard let (scheme, rest) = splitScheme(uri), rest.hasPrefix("//") else { return uri }
        let afterSlashes = rest.dropFirst(2)
        let authorityEnd = afterSlashes.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterSlashes.endIndex
        return "\(scheme)://\(afterSlashes[..<authorityEnd])\(removingDotSegments(String(afterSlashes[authorityEnd...])))"
    }

    /// RFC 3986 §5.2.4 on a path that may carry a query and fragment.
    private static func removingDotSegments(_ pathAndRest: String) -> String {
        let cut = pathAndRest.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? pathAndRest.endIndex
        let path = pathAndRest[..<cut]
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            if segment == "." {
                if index == segments.count - 1 { output.append("") }
            } else if segment == ".." {
                if output.count > 1 { output.removeLast() }
                if index == segments.count - 1 { output.append("") }
            } else {
                output.append(segment)
            }
        }
        return output.joined(separator: "/") + pathAndRest[cut...]
    }
}

/// The JSON Schema 2020-12 meta-schemas, compiled into the binary (`Resources/metaschemas`).
enum MetaSchema {
    static let uri = "https://json-schema.org/draft/2020-12/schema"

    /// A registry that holds the meta-schemas alone, which every compiled schema starts from.
    static let registry: SchemaRegistry = {
        var registry = SchemaRegistry()
        let documents: [(String, [UInt8])] = [
            ("schema", PackageResources.schema_json), ("meta/core", PackageResources.meta_core_json),
            ("meta/applicator", PackageResources.meta_applicator_json), ("meta/unevaluated", PackageResources.meta_unevaluated_json),
            ("meta/validation", PackageResources.meta_validation_json), ("meta/meta-data", PackageResources.meta_meta_data_json),
            ("meta/format-annotation", PackageResources.meta_format_annotation_json),
            ("meta/format-assertion", PackageResources.meta_format_assertion_json), ("meta/content", PackageResources.meta_content_json),
        ]
        for (name, bytes) in documents {
            guard let document = try? JSONParser.parse(bytes) else { continue }
            registry.add(document, at: "https://json-schema.org/draft/2020-12/\(name)")
        }
        return registry
    }()

    /// The meta-schema itself, compiled: a worker's input schema is checked against it before it is accepted.
    static let schema: JSONSchema? = try? JSONSchema(["$ref": .string(uri)], formatAssertion: false)
}

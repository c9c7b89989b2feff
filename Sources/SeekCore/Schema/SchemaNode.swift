import Foundation
import OrderedCollections

/// One subschema in compiled form: its keywords read into fields once, at compile time, so that a validation
/// never looks a keyword up by name. References point at the node they resolve to; the graph may be cyclic.
/// Every field is a constant, so validations on many threads share nodes without locks or access checks.
final class SchemaNode: Sendable {
    /// The schema resource this node lies in lexically (an index the compiler gives each resource URI).
    let resource: Int
    let keywords: Keywords

    init(resource: Int, keywords: Keywords) {
        self.resource = resource
        self.keywords = keywords
    }

    struct Keywords: Sendable {
        /// `true` or `false` in place of a schema object.
        var constant: Bool?

        var ref: SchemaTarget?
        var dynamicRef: DynamicReference?

        var types: JSONTypes?
        var typeNames: [String] = []
        var enumValues: [JSONValue]?
        var constValue: JSONValue?

        var allOf: [SchemaNode] = []
        var anyOf: [SchemaNode]?
        var oneOf: [SchemaNode]?
        var not: SchemaNode?
        var ifSchema: SchemaNode?
        var thenSchema: SchemaNode?
        var elseSchema: SchemaNode?

        var minimum: JSONValue?
        var maximum: JSONValue?
        var exclusiveMinimum: JSONValue?
        var exclusiveMaximum: JSONValue?
        var multipleOf: JSONValue?

        var format: (check: StringFormat, name: String)?
        var minLength: Int64?
        var maxLength: Int64?
        var pattern: SchemaPattern?

        var prefixItems: [SchemaNode] = []
        var items: SchemaNode?
        var minItems: Int64?
        var maxItems: Int64?
        var uniqueItems = false
        var contains: SchemaNode?
        var minContains: Int64 = 1
        var maxContains: Int64?
        var unevaluatedItems: SchemaNode?

        var properties = PropertyTable()
        var patternProperties: [(pattern: SchemaPattern, schema: SchemaNode)] = []
        var additionalProperties: SchemaNode?
        var propertyNames: SchemaNode?
        var required: [String] = []
        var minProperties: Int64?
        var maxProperties: Int64?
        var dependentRequired: [(name: String, needs: [String])] = []
        var dependentSchemas: [(name: String, schema: SchemaNode)] = []
        var unevaluatedProperties: SchemaNode?

        /// Any keyword that applies to objects, arrays or strings: lets a validation skip whole groups at once.
        var hasObjectKeywords = false
        var hasArrayKeywords = false
        var hasStringKeywords = false
        var hasNumberKeywords = false
    }
}

/// Where a reference leads. Set once, while compiling, after the target's own subschemas (which may lead back
/// to it): a reference cycle needs one mutable link, and this is it. The link does not retain its node: a
/// cycle of references would otherwise be a cycle of retains, and every recursive schema compiled would leak
/// (fuzzing found it). The compiled schema's `arena` keeps every target's node alive instead.
final class SchemaTarget: @unchecked Sendable {
    private var link: Unmanaged<SchemaNode>?

    var node: SchemaNode { link!.takeUnretainedValue() }

    func set(_ node: SchemaNode) { link = .passUnretained(node) }
}

/// `properties`, looked up by member name. A short table is scanned, which is cheaper than hashing the name;
/// a long one is hashed. Each entry knows whether `required` names it, so that a validation counts required
/// members as it meets them instead of looking each one up.
struct PropertyTable: Sendable {
    struct Entry: Sendable {
        let name: String
        let schema: SchemaNode
        var required = false
    }

    private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    /// `required` names, each once, when every one of them is also a declared property.
    private(set) var requiredCount: Int?

    private static let scanLimit = 8

    var isEmpty: Bool { entries.isEmpty }

    mutating func add(_ name: String, _ schema: SchemaNode) {
        index[name] = entries.count
        entries.append(Entry(name: name, schema: schema))
    }

    mutating func markRequired(_ names: [String]) {
        var marked = 0
        for name in Set(names) {
            guard let position = index[name] else { return }
            entries[position].required = true
            marked += 1
        }
        requiredCount = marked
    }

    func lookup(_ name: String) -> Entry? {
        if entries.count > Self.scanLimit { return index[name].map { entries[$0] } }
        for entry in entries where entry.name == name { return entry }
        return nil
    }
}

/// `$dynamicRef`: its static target, and the targets a dynamic scope may pick instead, by resource.
struct DynamicReference: Sendable {
    var initial: SchemaTarget
    /// Empty unless the initial target carries a `$dynamicAnchor` of the fragment's name.
    var candidates: [Int: SchemaTarget] = [:]
}

/// The JSON types a `type` keyword allows.
struct JSONTypes: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = JSONTypes(rawValue: 1)
    static let boolean = JSONTypes(rawValue: 2)
    static let integer = JSONTypes(rawValue: 4)
    static let number = JSONTypes(rawValue: 8)
    static let string = JSONTypes(rawValue: 16)
    static let array = JSONTypes(rawValue: 32)
    static let object = JSONTypes(rawValue: 64)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init?(name: String) {
        switch name {
        case "null": self = .null
        case "boolean": self = .boolean
        case "integer": self = .integer
        case "number": self = .number
        case "string": self = .string
        case "array": self = .array
        case "object": self = .object
        default: return nil
        }
    }

    /// Whether `value` is of one of these types; an integer is also a number, and 1.0 is an integer.
    func admits(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return contains(.null)
        case .bool: return contains(.boolean)
        case .integer: return !isDisjoint(with: [.integer, .number])
        case .double: return contains(.number) || (contains(.integer) && value.integerValue != nil)
        case .string: return contains(.string)
        case .array: return contains(.array)
        case .object: return contains(.object)
        }
    }
}

/// Builds the node graph of a schema from its registry: each subschema once, each reference target once per
/// resource (so recursive schemas become cycles, not endless trees).
struct SchemaCompiler {
    let registry: SchemaRegistry
    /// Whether the validation vocabulary applies; when it does not, its keywords are never read.
    let validates: Bool
    let formatAssertion: Bool

    private var resourceIndex: [String: Int] = [:]
    private var targets: [TargetKey: SchemaTarget] = [:]
    /// Every target's node, owned by the compiled schema (targets only point at them).
    private(set) var arena: [SchemaNode] = []
    private var patterns: [String: SchemaPattern] = [:]
    /// Whether any node has `unevaluatedItems` or `unevaluatedProperties` (then annotations are collected).
    private(set) var usesAnnotations = false
    private(set) var usesDynamicScope = false

    private struct TargetKey: Hashable {
        var resource: Int
        var schema: JSONValue
    }

    init(registry: SchemaRegistry, validates: Bool, formatAssertion: Bool) {
        self.registry = registry
        self.validates = validates
        self.formatAssertion = formatAssertion
    }

    mutating func resource(_ uri: String) -> Int {
        if let index = resourceIndex[uri] { return index }
        let index = resourceIndex.count
        resourceIndex[uri] = index
        return index
    }

    /// The node of a reference's target (or the root), shared by every reference that reaches it.
    mutating func target(_ schema: JSONValue, base: String, ownBase: Bool) throws(SeekError) -> SchemaTarget {
        let key = TargetKey(resource: resource(Self.base(of: schema, under: base, ownBase: ownBase)), schema: schema)
        if let target = targets[key] { return target }
        let target = SchemaTarget()
        targets[key] = target  // before its subschemas, which may lead back to it
        let node = try build(schema, base: base, ownBase: ownBase)
        target.set(node)
        arena.append(node)
        return target
    }

    /// The base URI inside `schema`: its `$id` resolved against the enclosing base, unless the base is its own.
    private static func base(of schema: JSONValue, under base: String, ownBase: Bool) -> String {
        guard !ownBase, let id = schema["$id"]?.stringValue, let resolved = URIReference.resolve(id, against: base) else { return base }
        return URIReference.withoutFragment(resolved)
    }

    private mutating func subschema(_ schema: JSONValue, base: String) throws(SeekError) -> SchemaNode {
        try build(schema, base: base, ownBase: false)
    }

    private mutating func subschemas(_ value: JSONValue?, base: String) throws(SeekError) -> [SchemaNode]? {
        guard let list = value?.arrayValue else { return nil }
        var nodes: [SchemaNode] = []
        for schema in list { nodes.append(try subschema(schema, base: base)) }
        return nodes
    }

    private mutating func optional(_ value: JSONValue?, base: String) throws(SeekError) -> SchemaNode? {
        guard let value else { return nil }
        return try subschema(value, base: base)
    }

    mutating func pattern(_ source: String) throws(SeekError) -> SchemaPattern {
        if let compiled = patterns[source] { return compiled }
        let compiled = try SchemaPattern(source)
        patterns[source] = compiled
        return compiled
    }

    private mutating func build(_ schema: JSONValue, base enclosing: String, ownBase: Bool) throws(SeekError) -> SchemaNode {
        let base = Self.base(of: schema, under: enclosing, ownBase: ownBase)
        let resource = resource(base)
        var node = SchemaNode.Keywords()
        if case let .bool(allowed) = schema {
            node.constant = allowed
            return SchemaNode(resource: resource, keywords: node)
        }
        guard let keywords = schema.objectValue else {
            node.constant = true  // not a schema: constrains nothing
            return SchemaNode(resource: resource, keywords: node)
        }
        if let ref = keywords["$ref"]?.stringValue {
            guard let found = registry.target(ref, from: base) else { throw Self.unresolved(ref) }
            node.ref = try target(found.schema, base: found.base, ownBase: found.ownBase)
        }
        if let ref = keywords["$dynamicRef"]?.stringValue { node.dynamicRef = try dynamicReference(ref, from: base) }
        try fillApplicators(&node, keywords, base: base)
        if validates { fillValidation(&node, keywords) }
        if formatAssertion, let name = keywords["format"]?.stringValue, let check = StringFormat(rawValue: name) {
            node.format = (check, name)
        }
        if validates, let source = keywords["pattern"]?.stringValue { node.pattern = try pattern(source) }
        node.hasStringKeywords = node.format != nil || node.minLength != nil || node.maxLength != nil || node.pattern != nil
        node.hasNumberKeywords =
            node.minimum != nil || node.maximum != nil || node.exclusiveMinimum != nil || node.exclusiveMaximum != nil
            || node.multipleOf != nil
        node.hasArrayKeywords =
            !node.prefixItems.isEmpty || node.items != nil || node.minItems != nil || node.maxItems != nil || node.uniqueItems
            || node.contains != nil || node.unevaluatedItems != nil
        node.properties.markRequired(node.required)
        node.hasObjectKeywords =
            !node.properties.isEmpty || !node.patternProperties.isEmpty || node.additionalProperties != nil
            || node.propertyNames != nil || !node.required.isEmpty || node.minProperties != nil || node.maxProperties != nil
            || !node.dependentRequired.isEmpty || !node.dependentSchemas.isEmpty || node.unevaluatedProperties != nil
        if node.unevaluatedItems != nil || node.unevaluatedProperties != nil { usesAnnotations = true }
        return SchemaNode(resource: resource, keywords: node)
    }

    private mutating func fillApplicators(
        _ node: inout SchemaNode.Keywords,
        _ keywords: OrderedDictionary<String, JSONValue>,
        base: String
    ) throws(SeekError) {
        node.allOf = try subschemas(keywords["allOf"], base: base) ?? []
        node.anyOf = try subschemas(keywords["anyOf"], base: base)
        node.oneOf = try subschemas(keywords["oneOf"], base: base)
        node.not = try optional(keywords["not"], base: base)
        node.ifSchema = try optional(keywords["if"], base: base)
        node.thenSchema = try optional(keywords["then"], base: base)
        node.elseSchema = try optional(keywords["else"], base: base)
        node.prefixItems = try subschemas(keywords["prefixItems"], base: base) ?? []
        node.items = try optional(keywords["items"], base: base)
        node.contains = try optional(keywords["contains"], base: base)
        node.unevaluatedItems = try optional(keywords["unevaluatedItems"], base: base)
        for (name, schema) in keywords["properties"]?.objectValue ?? [:] { node.properties.add(name, try subschema(schema, base: base)) }
        for (source, schema) in keywords["patternProperties"]?.objectValue ?? [:] {
            node.patternProperties.append((try pattern(source), try subschema(schema, base: base)))
        }
        node.additionalProperties = try optional(keywords["additionalProperties"], base: base)
        node.propertyNames = try optional(keywords["propertyNames"], base: base)
        for (name, schema) in keywords["dependentSchemas"]?.objectValue ?? [:] {
            node.dependentSchemas.append((name, try subschema(schema, base: base)))
        }
        node.unevaluatedProperties = try optional(keywords["unevaluatedProperties"], base: base)
    }

    private func fillValidation(_ node: inout SchemaNode.Keywords, _ keywords: OrderedDictionary<String, JSONValue>) {
        if let type = keywords["type"] {
            node.typeNames = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            node.types = node.typeNames.reduce(into: JSONTypes()) { types, name in JSONTypes(name: name).map { types.insert($0) } }
        }
        node.enumValues = keywords["enum"]?.arrayValue
        node.constValue = keywords["const"]
        node.minimum = keywords["minimum"]
        node.maximum = keywords["maximum"]
        node.exclusiveMinimum = keywords["exclusiveMinimum"]
        node.exclusiveMaximum = keywords["exclusiveMaximum"]
        node.multipleOf = keywords["multipleOf"]
        node.minLength = keywords["minLength"]?.integerValue
        node.maxLength = keywords["maxLength"]?.integerValue
        node.minItems = keywords["minItems"]?.integerValue
        node.maxItems = keywords["maxItems"]?.integerValue
        node.uniqueItems = keywords["uniqueItems"]?.boolValue == true
        node.minContains = keywords["minContains"]?.integerValue ?? 1
        node.maxContains = keywords["maxContains"]?.integerValue
        node.required = keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        node.minProperties = keywords["minProperties"]?.integerValue
        node.maxProperties = keywords["maxProperties"]?.integerValue
        for (name, needed) in keywords["dependentRequired"]?.objectValue ?? [:] {
            node.dependentRequired.append((name, needed.arrayValue?.compactMap(\.stringValue) ?? []))
        }
    }

    /// `$dynamicRef` resolves like `$ref` unless its target carries a `$dynamicAnchor` of the fragment's name;
    /// then the outermost resource of the dynamic scope with such an anchor wins, so every resource with one
    /// is compiled as a candidate.
    private mutating func dynamicReference(_ ref: String, from base: String) throws(SeekError) -> DynamicReference {
        guard let found = registry.target(ref, from: base) else { throw Self.unresolved(ref) }
        var reference = DynamicReference(initial: try target(found.schema, base: found.base, ownBase: found.ownBase))
        guard let absolute = URIReference.resolve(ref, against: base) else { return reference }
        let (resourceURI, fragment) = URIReference.split(absolute)
        guard !fragment.isEmpty, !fragment.hasPrefix("/"), registry.resources[resourceURI]?.dynamicAnchors.contains(fragment) == true else {
            return reference
        }
        usesDynamicScope = true
        for (uri, candidate) in registry.resources.sorted(by: { $0.key < $1.key }) where candidate.dynamicAnchors.contains(fragment) {
            guard let anchored = candidate.anchors[fragment] else { continue }
            reference.candidates[resource(uri)] = try target(anchored, base: uri, ownBase: true)
        }
        return reference
    }

    private static func unresolved(_ ref: String) -> SeekError {
        SeekError(.badRequest, "The schema's reference \(ref) does not resolve to a known schema (Seek fetches none).")
    }
}

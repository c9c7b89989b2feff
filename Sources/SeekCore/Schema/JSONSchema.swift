import Foundation
import OrderedCollections

/// A compiled JSON Schema 2020-12 and its validator.
///
/// Compiling registers every schema resource by URI (`$id`, with `$anchor` and `$dynamicAnchor` names) beside
/// the 2020-12 meta-schemas and any `documents` given; `$ref` and `$dynamicRef` resolve through that registry,
/// never the network. `format` asserts email, uri, date-time, date, uuid, ipv4 and ipv6 (an option: the
/// specification makes it an annotation by default). A custom meta-schema whose `$vocabulary` leaves out
/// validation turns the validation keywords off.
public struct JSONSchema: Sendable {
    /// Refs followed within one path before the schema counts as an endless loop.
    static let maxDepth = 128
    /// The base URI of a root schema without `$id`.
    static let defaultBase = "https://seek.invalid/schema.json"

    public let root: JSONValue
    let registry: SchemaRegistry
    let rootBase: String
    let patterns: PatternCache
    let formatAssertion: Bool
    let validationVocabulary: Bool

    /// Compiles `schema`; a schema that is not an object or boolean, a bad regex or a reference that resolves
    /// to nothing known is a 400.
    public init(_ schema: JSONValue, formatAssertion: Bool = true, documents: [String: JSONValue] = [:]) throws(SeekError) {
        guard schema.objectValue != nil || schema.boolValue != nil else {
            throw SeekError(.badRequest, "A JSON Schema must be an object or a boolean.")
        }
        var registry = MetaSchema.registry
        for (uri, document) in documents.sorted(by: { $0.key < $1.key }) { registry.add(document, at: uri) }
        var references: [(base: String, ref: String)] = []
        rootBase = registry.add(schema, at: Self.defaultBase, references: &references)
        root = schema
        patterns = try PatternCache(registry.patterns)
        for (base, ref) in references where registry.lookup(ref, from: base) == nil {
            throw SeekError(.badRequest, "The schema's reference \(ref) does not resolve to a known schema (Seek fetches none).")
        }
        self.registry = registry
        self.formatAssertion = formatAssertion
        validationVocabulary = registry.usesValidation(schema["$schema"]?.stringValue, from: rootBase)
    }

    /// Every place where `instance` breaks the schema, by JSON pointer into the instance.
    public func validate(_ instance: JSONValue) -> [SeekError.Detail] {
        var errors: [SeekError.Detail] = []
        var run = ValidationRun(schema: self)
        run.check(instance, against: root, at: "", scope: Scope(base: rootBase, dynamic: [rootBase], depth: 0), errors: &errors)
        return errors
    }

    public func isValid(_ instance: JSONValue) -> Bool { validate(instance).isEmpty }
}

/// Where a validation stands in the schema: the base URI relative references resolve against, the resources
/// entered so far (outermost first, for `$dynamicRef`), and how deep references have gone.
struct Scope {
    var base: String
    var dynamic: [String]
    var depth: Int
    /// The base is already the one the schema about to be checked sets with its `$id` (a reference led
    /// to it by that very URI), so its `$id` is not resolved again.
    var baseIsOwn = false

    var deeper: Scope { Scope(base: base, dynamic: dynamic, depth: depth + 1) }

    /// The scope inside a reference's target.
    func entering(_ target: (schema: JSONValue, base: String, ownBase: Bool)) -> Scope {
        let base = target.base
        return Scope(base: base, dynamic: dynamic.last == base ? dynamic : dynamic + [base], depth: depth + 1, baseIsOwn: target.ownBase)
    }
}

/// Compiled regular expressions, shared read-only between validations.
final class PatternCache: @unchecked Sendable {
    // NSRegularExpression is immutable once built and documented as safe to use from many threads.
    private let compiled: [String: NSRegularExpression]

    init(_ patterns: Set<String>) throws(SeekError) {
        var compiled: [String: NSRegularExpression] = [:]
        for pattern in patterns {
            do {
                compiled[pattern] = try NSRegularExpression(pattern: pattern)
            } catch {
                throw SeekError(.badRequest, "The schema's pattern \(pattern) is not a valid regular expression.")
            }
        }
        self.compiled = compiled
    }

    func matches(_ pattern: String, _ text: String) -> Bool {
        guard let regex = compiled[pattern] else { return false }
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return regex.firstMatch(in: text, range: range) != nil
    }
}

/// What a (passing) subschema evaluated, for `unevaluatedProperties` and `unevaluatedItems`.
private struct Annotations {
    var properties: Set<String> = []
    var items: Set<Int> = []

    mutating func merge(_ other: Annotations) {
        properties.formUnion(other.properties)
        items.formUnion(other.items)
    }
}

/// One validation: walks instance and schema together, collecting failures.
private struct ValidationRun {
    let schema: JSONSchema
    var patterns: PatternCache { schema.patterns }
    /// Whether the validation vocabulary applies (a custom meta-schema may leave it out).
    var validates: Bool { schema.validationVocabulary }

    /// The annotations of `schema` if `instance` passes it, without recording why it fails.
    mutating func passes(_ instance: JSONValue, _ schema: JSONValue, at path: String, scope: Scope) -> Annotations? {
        var scratch: [SeekError.Detail] = []
        let annotations = check(instance, against: schema, at: path, scope: scope, errors: &scratch)
        return scratch.isEmpty ? annotations : nil
    }

    @discardableResult
    mutating func check(
        _ instance: JSONValue,
        against schema: JSONValue,
        at path: String,
        scope: Scope,
        errors: inout [SeekError.Detail]
    ) -> Annotations {
        var annotations = Annotations()
        if case let .bool(allowed) = schema {
            if !allowed { errors.append(.init(path: path, message: "is not allowed here")) }
            return annotations
        }
        guard let keywords = schema.objectValue else { return annotations }
        guard scope.depth < JSONSchema.maxDepth else {
            errors.append(.init(path: path, message: "the schema's $ref chain does not end"))
            return annotations
        }
        var scope = scope
        // A schema with $id starts a resource: its base for relative references, and a step of the dynamic scope.
        if scope.baseIsOwn {
            scope.baseIsOwn = false
        } else if let id = keywords["$id"]?.stringValue, let base = URIReference.resolve(id, against: scope.base).map(URIReference.withoutFragment),
            base != scope.base
        {
            scope.base = base
            scope.dynamic.append(base)
        }
        if let ref = keywords["$ref"]?.stringValue {
            if let target = self.schema.registry.target(ref, from: scope.base) {
                annotations.merge(check(instance, against: target.schema, at: path, scope: scope.entering(target), errors: &errors))
            } else {
                errors.append(.init(path: path, message: "the schema's $ref \(ref) does not resolve"))
            }
        }
        if let ref = keywords["$dynamicRef"]?.stringValue {
            if let target = self.schema.registry.lookupDynamic(ref, from: scope.base, scope: scope.dynamic) {
                annotations.merge(check(instance, against: target.schema, at: path, scope: scope.entering(target), errors: &errors))
            } else {
                errors.append(.init(path: path, message: "the schema's $dynamicRef \(ref) does not resolve"))
            }
        }
        if validates { checkGeneric(instance, keywords, at: path, errors: &errors) }
        annotations.merge(checkApplicators(instance, keywords, at: path, scope: scope, errors: &errors))
        switch instance {
        case .integer, .double: if validates { checkNumber(instance, keywords, at: path, errors: &errors) }
        case let .string(text): checkString(text, keywords, at: path, errors: &errors)
        case let .array(elements):
            annotations.merge(checkArray(elements, keywords, at: path, scope: scope, errors: &errors))
            if let unevaluated = keywords["unevaluatedItems"] {
                for index in elements.indices where !annotations.items.contains(index) {
                    check(elements[index], against: unevaluated, at: "\(path)/\(index)", scope: scope.deeper, errors: &errors)
                    annotations.items.insert(index)
                }
            }
        case let .object(members):
            annotations.merge(checkObject(members, keywords, at: path, scope: scope, errors: &errors))
            if let unevaluated = keywords["unevaluatedProperties"] {
                for (name, value) in members where !annotations.properties.contains(name) {
                    let memberPath = "\(path)/\(Self.escape(name))"
                    if unevaluated == .bool(false) {
                        errors.append(.init(path: memberPath, message: "is not an allowed property"))
                    } else {
                        check(value, against: unevaluated, at: memberPath, scope: scope.deeper, errors: &errors)
                    }
                    annotations.properties.insert(name)
                }
            }
        default: break
        }
        return annotations
    }
    private func checkGeneric(
        _ instance: JSONValue,
        _ keywords: OrderedDictionary<String, JSONValue>,
        at path: String,
        errors: inout [SeekError.Detail]
    ) {
        if let type = keywords["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            let actual = instance.typeName
            let ok = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !ok { errors.append(.init(path: path, message: "must be of type \(allowed.joined(separator: " or "))")) }
        }
        if let options = keywords["enum"]?.arrayValue, !options.contains(instance) {
            errors.append(.init(path: path, message: "must be one of \(JSONValue.array(options).serializedString)"))
        }
        if let constant = keywords["const"], constant != instance {
            errors.append(.init(path: path, message: "must equal \(constant.serializedString)"))
        }
    }

    private mutating func checkApplicators(
        _ instance: JSONValue,
        _ keywords: OrderedDictionary<String, JSONValue>,
        at path: String,
        scope: Scope,
        errors: inout [SeekError.Detail]
    ) -> Annotations {
        var annotations = Annotations()
        if let all = keywords["allOf"]?.arrayValue {
            for subschema in all { annotations.merge(check(instance, against: subschema, at: path, scope: scope.deeper, errors: &errors)) }
        }
        if let any = keywords["anyOf"]?.arrayValue {
            // Every branch is evaluated: each passing one contributes annotations.
            var matched = false
            for subschema in any {
                if let passed = passes(instance, subschema, at: path, scope: scope.deeper) {
                    matched = true
                    annotations.merge(passed)
                }
            }
            if !matched { errors.append(.init(path: path, message: "must match at least one schema in anyOf")) }
        }
        if let one = keywords["oneOf"]?.arrayValue {
            var passing: [Annotations] = []
            for subschema in one {
                if let passed = passes(instance, subschema, at: path, scope: scope.deeper) { passing.append(passed) }
            }
            if passing.count == 1 {
                annotations.merge(passing[0])
            } else {
                errors.append(.init(path: path, message: "must match exactly one schema in oneOf (matched \(passing.count))"))
            }
        }
        if let negated = keywords["not"], passes(instance, negated, at: path, scope: scope.deeper) != nil {
            errors.append(.init(path: path, message: "must not match the schema in not"))
        }
        if let condition = keywords["if"] {
            if let passed = passes(instance, condition, at: path, scope: scope.deeper) {
                annotations.merge(passed)
                if let then = keywords["then"] { annotations.merge(check(instance, against: then, at: path, scope: scope.deeper, errors: &errors)) }
            } else if let otherwise = keywords["else"] {
                annotations.merge(check(instance, against: otherwise, at: path, scope: scope.deeper, errors: &errors))
            }
        }
        return annotations
    }

    private func checkNumber(
        _ instance: JSONValue,
        _ keywords: OrderedDictionary<String, JSONValue>,
        at path: String,
        errors: inout [SeekError.Detail]
    ) {
        func compare(_ limit: JSONValue) -> Int? {
            // Exact for two integers; otherwise as doubles.
            if case let .integer(a) = instance, case let .integer(b) = limit { return a < b ? -1 : (a > b ? 1 : 0) }
            guard let a = instance.numberValue, let b = limit.numberValue else { return nil }
            return a < b ? -1 : (a > b ? 1 : 0)
        }
        if let limit = keywords["minimum"], let order = compare(limit), order < 0 {
            errors.append(.init(path: path, message: "must be at least \(limit.serializedString)"))
        }
        if let limit = keywords["maximum"], let order = compare(limit), order > 0 {
            errors.append(.init(path: path, message: "must be at most \(limit.serializedString)"))
        }
        if let limit = keywords["exclusiveMinimum"], let order = compare(limit), order <= 0 {
            errors.append(.init(path: path, message: "must be greater than \(limit.serializedString)"))
        }
        if let limit = keywords["exclusiveMaximum"], let order = compare(limit), order >= 0 {
            errors.append(.init(path: path, message: "must be less than \(limit.serializedString)"))
        }
        if let divisor = keywords["multipleOf"], !Self.isMultiple(instance, of: divisor) {
            errors.append(.init(path: path, message: "must be a multiple of \(divisor.serializedString)"))
        }
    }

    static func isMultiple(_ value: JSONValue, of divisor: JSONValue) -> Bool {
        if case let .integer(a) = value, case let .integer(b) = divisor, b != 0 { return a % b == 0 }
        guard let a = value.numberValue, let b = divisor.numberValue, b != 0 else { return true }
        let quotient = a / b
        guard quotient.isFinite else { return false }
        // Decimal divisors such as 0.0001 are inexact in binary: allow for rounding in the quotient.
        return abs(quotient - quotient.rounded()) <= 1e-9 * max(1, abs(quotient))
    }

    private func checkString(
        _ text: String,
        _ keywords: OrderedDictionary<String, JSONValue>,
        at path: String,
        errors: inout [SeekError.Detail]
    ) {
        if let format = keywords["format"]?.stringValue, schema.formatAssertion, let check = StringFormat(rawValue: format), !check.accepts(text) {
            errors.append(.init(path: path, message: "must be a valid \(format)"))
        }
        guard validates else { return }
        let needsLength = keywords["minLength"] != nil || keywords["maxLength"] != nil
        let length = needsLength ? text.unicodeScalars.count : 0
        if let minimum = keywords["minLength"]?.integerValue, length < minimum {
            errors.append(.init(path: path, message: "must be at least \(minimum) characters long"))
        }
        if let maximum = keywords["maxLength"]?.integerValue, length > maximum {
            errors.append(.init(path: path, message: "must be at most \(maximum) characters long"))
        }
        if let pattern = keywords["pattern"]?.stringValue, !patterns.matches(pattern, text) {
            errors.append(.init(path: path, message: "must match the pattern \(pattern)"))
        }
    }

    private mutating func checkArray(
        _ elements: [JSONValue],
        _ keywords: OrderedDictionary<String, JSONValue>,
        at path: String,
        scope: Scope,
        errors: inout [SeekError.Detail]
    ) -> Annotations {
        var annotations = Annotations()
        let prefix = keywords["prefixItems"]?.arrayValue ?? []
        for (index, subschema) in prefix.enumerated() where index < elements.count {
            check(elements[index], against: subschema, at: "\(path)/\(index)", scope: scope.deeper, errors: &errors)
            annotations.items.insert(index)
        }
        if let items = keywords["items"], elements.count > prefix.count {
            for index in prefix.count..<elements.count {
                check(elements[index], against: items, at: "\(path)/\(index)", scope: scope.deeper, errors: &errors)
                annotations.items.insert(index)
            }
        }
        if validates, let minimum = keywords["minItems"]?.integerValue, elements.count < minimum {
            errors.append(.init(path: path, message: "must have at least \(minimum) items"))
        }
        if validates, let maximum = keywords["maxItems"]?.integerValue, elements.count > maximum {
            errors.append(.init(path: path, message: "must have at most \(maximum) items"))
        }
        if validates, keywords["uniqueItems"]?.boolValue == true, Set(elements).count != elements.count {
            errors.append(.init(path: path, message: "must not contain duplicate items"))
        }
        if let contains = keywords["contains"] {
            var count = 0
            for (index, element) in elements.enumerated() where passes(element, contains, at: "\(path)/\(index)", scope: scope.deeper) != nil {
                count += 1
                annotations.items.insert(index)
            }
            let minimum = validates ? keywords["minContains"]?.integerValue ?? 1 : 1
            if count < minimum { errors.append(.init(path: path, message: "must contain at least \(minimum) matching items")) }
            if validates, let maximum = keywords["maxContains"]?.integerValue, count > maximum {
                errors.append(.init(path: path, message: "must contain at most \(maximum) matching items"))
            }
        }
        return annotations
    }

    private mutating func checkObject(
        _ members: OrderedDictionary<String, JSONValue>,
        _ keywords: OrderedDictionary<String, JSONValue>,
        at path: String,
        scope: Scope,
        errors: inout [SeekError.Detail]
    ) -> Annotations {
        var annotations = Annotations()
        let properties = keywords["properties"]?.objectValue ?? [:]
        let patternProperties = keywords["patternProperties"]?.objectValue ?? [:]
        for (name, value) in members {
            let memberPath = "\(path)/\(Self.escape(name))"
            var matched = false
            if let subschema = properties[name] {
                matched = true
                check(value, against: subschema, at: memberPath, scope: scope.deeper, errors: &errors)
            }
            for (pattern, subschema) in patternProperties where patterns.matches(pattern, name) {
                matched = true
                check(value, against: subschema, at: memberPath, scope: scope.deeper, errors: &errors)
            }
            if matched { annotations.properties.insert(name) }
            if !matched, let additional = keywords["additionalProperties"] {
                annotations.properties.insert(name)
                if additional == .bool(false) {
                    errors.append(.init(path: memberPath, message: "is not an allowed property"))
                } else {
                    check(value, against: additional, at: memberPath, scope: scope.deeper, errors: &errors)
                }
            }
            if let names = keywords["propertyNames"], passes(.string(name), names, at: memberPath, scope: scope.deeper) == nil {
                errors.append(.init(path: memberPath, message: "is not an allowed property name"))
            }
        }
        guard validates else {
            for (name, subschema) in keywords["dependentSchemas"]?.objectValue ?? [:] where members[name] != nil {
                annotations.merge(check(.object(members), against: subschema, at: path, scope: scope.deeper, errors: &errors))
            }
            return annotations
        }
        for name in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
            errors.append(.init(path: "\(path)/\(Self.escape(name))", message: "is required"))
        }
        if let minimum = keywords["minProperties"]?.integerValue, members.count < minimum {
            errors.append(.init(path: path, message: "must have at least \(minimum) properties"))
        }
        if let maximum = keywords["maxProperties"]?.integerValue, members.count > maximum {
            errors.append(.init(path: path, message: "must have at most \(maximum) properties"))
        }
        for (name, needed) in keywords["dependentRequired"]?.objectValue ?? [:] where members[name] != nil {
            for other in needed.arrayValue?.compactMap(\.stringValue) ?? [] where members[other] == nil {
                errors.append(.init(path: "\(path)/\(Self.escape(other))", message: "is required when \(name) is present"))
            }
        }
        for (name, subschema) in keywords["dependentSchemas"]?.objectValue ?? [:] where members[name] != nil {
            annotations.merge(check(.object(members), against: subschema, at: path, scope: scope.deeper, errors: &errors))
        }
        return annotations
    }

    /// JSON Pointer escaping of one reference token.
    static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

import Foundation
import OrderedCollections

/// A compiled JSON Schema (2020-12 vocabulary that worker inputs need) and its validator.
///
/// `$ref` resolves JSON pointers within the document (`#`, `#/$defs/name`, escaped tokens);
/// `format` is an assertion for email, uri, date-time and uuid; other formats are annotations.
public struct JSONSchema: Sendable {
    /// Refs followed within one path before the schema counts as an endless loop.
    static let maxDepth = 128

    public let root: JSONValue
    private let patterns: PatternCache

    /// Compiles `schema`; a schema that is not an object or boolean, a bad regex or a dangling `$ref` is a 400.
    public init(_ schema: JSONValue) throws(SeekError) {
        guard schema.objectValue != nil || schema.boolValue != nil else {
            throw SeekError(.badRequest, "A JSON Schema must be an object or a boolean.")
        }
        root = schema
        var found: Set<String> = []
        var refs: [String] = []
        Self.collect(schema, patterns: &found, refs: &refs)
        patterns = try PatternCache(found)
        for ref in refs where Self.resolve(ref, in: schema) == nil {
            throw SeekError(.badRequest, "The schema's $ref \(ref) does not resolve within the document.")
        }
    }

    /// Every place where `instance` breaks the schema, by JSON pointer into the instance.
    public func validate(_ instance: JSONValue) -> [SeekError.Detail] {
        var errors: [SeekError.Detail] = []
        var run = ValidationRun(root: root, patterns: patterns)
        run.check(instance, against: root, at: "", depth: 0, errors: &errors)
        return errors
    }

    public func isValid(_ instance: JSONValue) -> Bool { validate(instance).isEmpty }

    // MARK: Compilation

    private static func collect(_ schema: JSONValue, patterns: inout Set<String>, refs: inout [String]) {
        switch schema {
        case let .object(members):
            for (key, value) in members {
                switch key {
                case "pattern": if let text = value.stringValue { patterns.insert(text) }
                case "patternProperties": patterns.formUnion(value.objectValue?.keys ?? [])
                case "$ref": if let text = value.stringValue { refs.append(text) }
                case "const", "enum", "default", "examples": continue  // data, not schemas: nothing inside to compile
                default: break
                }
                collect(value, patterns: &patterns, refs: &refs)
            }
        case let .array(elements):
            for element in elements { collect(element, patterns: &patterns, refs: &refs) }
        default:
            break
        }
    }

    /// The subschema a local `$ref` points at, or nil.
    static func resolve(_ ref: String, in root: JSONValue) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        let pointer = String(ref.dropFirst()).removingPercentEncoding ?? String(ref.dropFirst())
        if pointer.isEmpty { return root }
        guard pointer.hasPrefix("/") else { return nil }
        var node = root
        for rawToken in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
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
    let root: JSONValue
    let patterns: PatternCache

    /// The annotations of `schema` if `instance` passes it, without recording why it fails.
    mutating func passes(_ instance: JSONValue, _ schema: JSONValue, at path: String, depth: Int) -> Annotations? {
        var scratch: [SeekError.Detail] = []
        let annotations = check(instance, against: schema, at: path, depth: depth, errors: &scratch)
        return scratch.isEmpty ? annotations : nil
    }

    @discardableResult
    mutating func check(
        _ instance: JSONValue,
        against schema: JSONValue,
        at path: String,
        depth: Int,
        errors: inout [SeekError.Detail]
    ) -> Annotations {
        var annotations = Annotations()
        if case let .bool(allowed) = schema {
            if !allowed { errors.append(.init(path: path, message: "is not allowed here")) }
            return annotations
        }
        guard let keywords = schema.objectValue else { return annotations }
        guard depth < JSONSchema.maxDepth else {
            errors.append(.init(path: path, message: "the schema's $ref chain does not end"))
            return annotations
        }

        if let ref = keywords["$ref"]?.stringValue {
            if let target = JSONSchema.resolve(ref, in: root) {
                annotations.merge(check(instance, against: target, at: path, depth: depth + 1, errors: &errors))
            } else {
                errors.append(.init(path: path, message: "the schema's $ref \(ref) does not resolve"))
            }
        }
        checkGeneric(instance, keywords, at: path, errors: &errors)
        annotations.merge(checkApplicators(instance, keywords, at: path, depth: depth, errors: &errors))
        switch instance {
        case .integer, .double: checkNumber(instance, keywords, at: path, errors: &errors)
        case let .string(text): checkString(text, keywords, at: path, errors: &errors)
        case let .array(elements):
            annotations.merge(checkArray(elements, keywords, at: path, depth: depth, errors: &errors))
            if let unevaluated = keywords["unevaluatedItems"] {
                for index in elements.indices where !annotations.items.contains(index) {
                    check(elements[index], against: unevaluated, at: "\(path)/\(index)", depth: depth + 1, errors: &errors)
                    annotations.items.insert(index)
                }
            }
        case let .object(members):
            annotations.merge(checkObject(members, keywords, at: path, depth: depth, errors: &errors))
            if let unevaluated = keywords["unevaluatedProperties"] {
                for (name, value) in members where !annotations.properties.contains(name) {
                    let memberPath = "\(path)/\(Self.escape(name))"
                    if unevaluated == .bool(false) {
                        errors.append(.init(path: memberPath, message: "is not an allowed property"))
                    } else {
                        check(value, against: unevaluated, at: memberPath, depth: depth + 1, errors: &errors)
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
        depth: Int,
        errors: inout [SeekError.Detail]
    ) -> Annotations {
        var annotations = Annotations()
        if let all = keywords["allOf"]?.arrayValue {
            for subschema in all { annotations.merge(check(instance, against: subschema, at: path, depth: depth + 1, errors: &errors)) }
        }
        if let any = keywords["anyOf"]?.arrayValue {
            // Every branch is evaluated: each passing one contributes annotations.
            var matched = false
            for subschema in any {
                if let passed = passes(instance, subschema, at: path, depth: depth + 1) {
                    matched = true
                    annotations.merge(passed)
                }
            }
            if !matched { errors.append(.init(path: path, message: "must match at least one schema in anyOf")) }
        }
        if let one = keywords["oneOf"]?.arrayValue {
            var passing: [Annotations] = []
            for subschema in one {
                if let passed = passes(instance, subschema, at: path, depth: depth + 1) { passing.append(passed) }
            }
            if passing.count == 1 {
                annotations.merge(passing[0])
            } else {
                errors.append(.init(path: path, message: "must match exactly one schema in oneOf (matched \(passing.count))"))
            }
        }
        if let negated = keywords["not"], passes(instance, negated, at: path, depth: depth + 1) != nil {
            errors.append(.init(path: path, message: "must not match the schema in not"))
        }
        if let condition = keywords["if"] {
            if let passed = passes(instance, condition, at: path, depth: depth + 1) {
                annotations.merge(passed)
                if let then = keywords["then"] { annotations.merge(check(instance, against: then, at: path, depth: depth + 1, errors: &errors)) }
            } else if let otherwise = keywords["else"] {
                annotations.merge(check(instance, against: otherwise, at: path, depth: depth + 1, errors: &errors))
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
        if let format = keywords["format"]?.stringValue, let check = StringFormat(rawValue: format), !check.accepts(text) {
            errors.append(.init(path: path, message: "must be a valid \(format)"))
        }
    }

    private mutating func checkArray(
        _ elements: [JSONValue],
        _ keywords: OrderedDictionary<String, JSONValue>,
        at path: String,
        depth: Int,
        errors: inout [SeekError.Detail]
    ) -> Annotations {
        var annotations = Annotations()
        let prefix = keywords["prefixItems"]?.arrayValue ?? []
        for (index, subschema) in prefix.enumerated() where index < elements.count {
            check(elements[index], against: subschema, at: "\(path)/\(index)", depth: depth + 1, errors: &errors)
            annotations.items.insert(index)
        }
        if let items = keywords["items"], elements.count > prefix.count {
            for index in prefix.count..<elements.count {
                check(elements[index], against: items, at: "\(path)/\(index)", depth: depth + 1, errors: &errors)
                annotations.items.insert(index)
            }
        }
        if let minimum = keywords["minItems"]?.integerValue, elements.count < minimum {
            errors.append(.init(path: path, message: "must have at least \(minimum) items"))
        }
        if let maximum = keywords["maxItems"]?.integerValue, elements.count > maximum {
            errors.append(.init(path: path, message: "must have at most \(maximum) items"))
        }
        if keywords["uniqueItems"]?.boolValue == true, Set(elements).count != elements.count {
            errors.append(.init(path: path, message: "must not contain duplicate items"))
        }
        if let contains = keywords["contains"] {
            var count = 0
            for (index, element) in elements.enumerated() where passes(element, contains, at: "\(path)/\(index)", depth: depth + 1) != nil {
                count += 1
                annotations.items.insert(index)
            }
            let minimum = keywords["minContains"]?.integerValue ?? 1
            if count < minimum { errors.append(.init(path: path, message: "must contain at least \(minimum) matching items")) }
            if let maximum = keywords["maxContains"]?.integerValue, count > maximum {
                errors.append(.init(path: path, message: "must contain at most \(maximum) matching items"))
            }
        }
        return annotations
    }

    private mutating func checkObject(
        _ members: OrderedDictionary<String, JSONValue>,
        _ keywords: OrderedDictionary<String, JSONValue>,
        at path: String,
        depth: Int,
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
                check(value, against: subschema, at: memberPath, depth: depth + 1, errors: &errors)
            }
            for (pattern, subschema) in patternProperties where patterns.matches(pattern, name) {
                matched = true
                check(value, against: subschema, at: memberPath, depth: depth + 1, errors: &errors)
            }
            if matched { annotations.properties.insert(name) }
            if !matched, let additional = keywords["additionalProperties"] {
                annotations.properties.insert(name)
                if additional == .bool(false) {
                    errors.append(.init(path: memberPath, message: "is not an allowed property"))
                } else {
                    check(value, against: additional, at: memberPath, depth: depth + 1, errors: &errors)
                }
            }
            if let names = keywords["propertyNames"], passes(.string(name), names, at: memberPath, depth: depth + 1) == nil {
                errors.append(.init(path: memberPath, message: "is not an allowed property name"))
            }
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
            annotations.merge(check(.object(members), against: subschema, at: path, depth: depth + 1, errors: &errors))
        }
        return annotations
    }

    /// JSON Pointer escaping of one reference token.
    static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

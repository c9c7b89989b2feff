import OrderedCollections

/// What a passing subschema evaluated, for `unevaluatedProperties` and `unevaluatedItems`. Collected only
/// when the compiled schema has one of those keywords.
struct Annotations {
    var properties: Set<String> = []
    var items: Set<Int> = []

    mutating func merge(_ other: Annotations) {
        if !other.properties.isEmpty { properties.formUnion(other.properties) }
        if !other.items.isEmpty { items.formUnion(other.items) }
    }
}

/// One step of a JSON Pointer into the instance.
private enum PathToken {
    case index(Int)
    case key(String)

    var rendered: String {
        switch self {
        case let .index(index): return String(index)
        case let .key(name): return SchemaValidation.escape(name)
        }
    }
}

/// One validation: walks the instance and the compiled schema together, collecting failures. The pointer to
/// where it stands is kept as a stack of tokens and written out only when a failure is recorded; inside
/// `anyOf`, `not` and the like (where only passing matters) nothing is recorded and the walk stops at the
/// first failure.
struct SchemaValidation {
    let tracksAnnotations: Bool
    let tracksDynamicScope: Bool
    private(set) var errors: [SeekError.Detail] = []
    private var path: [PathToken] = []
    /// Inside a check whose failures only decide whether it passes.
    private var quiet = false
    private var failed = false
    /// The resources entered along the current path, outermost first (for `$dynamicRef`).
    private var dynamic: [Int] = []
    private var depth = 0
    /// References followed since the walk last stepped into the instance.
    private var references = 0
    /// Subschema checks left. Branching applicators (`oneOf` over `$ref`s that branch again) can make the work
    /// exponential in the schema's size at one instance location; past the budget the instance fails.
    private var budget: Int
    private var exhausted = false

    init(annotations: Bool, dynamicScope: Bool, instance: JSONValue) {
        tracksAnnotations = annotations
        tracksDynamicScope = dynamicScope
        budget = JSONSchema.baseBudget + JSONSchema.budgetPerValue * Self.valueCount(instance)
    }

    /// How many values `instance` holds, itself included.
    private static func valueCount(_ instance: JSONValue) -> Int {
        switch instance {
        case let .array(elements): return elements.reduce(1) { $0 + valueCount($1) }
        case let .object(members): return members.values.reduce(1) { $0 + valueCount($1) }
        default: return 1
        }
    }

    /// The annotations of `node` if `instance` passes it; nil, and nothing recorded, if it does not.
    mutating func passes(_ instance: JSONValue, _ node: SchemaNode) -> Annotations? {
        let (wasQuiet, hadFailed) = (quiet, failed)
        quiet = true
        failed = false
        let annotations = check(instance, node)
        let passed = !failed && !exhausted
        (quiet, failed) = (wasQuiet, hadFailed)
        return passed ? annotations : nil
    }

    @discardableResult
    mutating func check(_ instance: JSONValue, _ node: SchemaNode) -> Annotations {
        if let allowed = node.keywords.constant {
            if !allowed { fail("is not allowed here") }
            return Annotations()
        }
        guard depth < JSONSchema.maxDepth else {
            fail("is nested too deeply to validate")
            return Annotations()
        }
        guard !exhausted else { return Annotations() }
        budget -= 1
        guard budget >= 0 else {
            exhausted = true
            // Recorded even inside anyOf or not: no branch's outcome can be trusted once the walk stopped.
            failed = true
            record("takes too much work to validate against this schema")
            return Annotations()
        }
        depth += 1
        let entersResource = tracksDynamicScope && dynamic.last != node.resource
        if entersResource { dynamic.append(node.resource) }
        defer {
            depth -= 1
            if entersResource { dynamic.removeLast() }
        }
        var annotations = Annotations()
        if let target = node.keywords.ref { annotations.merge(follow(target.node, instance)) }
        if let reference = node.keywords.dynamicRef { annotations.merge(follow(resolve(reference), instance)) }
        checkGeneric(instance, node)
        annotations.merge(checkApplicators(instance, node))
        if stopped { return annotations }
        switch instance {
        case .integer, .double: if node.keywords.hasNumberKeywords { checkNumber(instance, node) }
        case let .string(text): if node.keywords.hasStringKeywords { checkString(text, node) }
        case let .array(elements):
            guard node.keywords.hasArrayKeywords else { break }
            annotations.merge(checkArray(elements, node))
            if let unevaluated = node.keywords.unevaluatedItems {
                for index in elements.indices where !annotations.items.contains(index) {
                    child(elements[index], .index(index), unevaluated)
                    annotations.items.insert(index)
                }
            }
        case let .object(members):
            guard node.keywords.hasObjectKeywords else { break }
            annotations.merge(checkObject(instance, members, node))
            if let unevaluated = node.keywords.unevaluatedProperties {
                for (name, value) in members where !annotations.properties.contains(name) {
                    if unevaluated.keywords.constant == false {
                        fail("is not an allowed property", at: .key(name))
                    } else {
                        child(value, .key(name), unevaluated)
                    }
                    annotations.properties.insert(name)
                }
            }
        default: break
        }
        return annotations
    }

    // MARK: Walking

    private var stopped: Bool { exhausted || (quiet && failed) }

    private mutating func fail(_ message: @autoclosure () -> String, at token: PathToken? = nil) {
        failed = true
        guard !quiet else { return }
        record(message(), at: token)
    }

    private mutating func record(_ message: String, at token: PathToken? = nil) {
        var pointer = ""
        for step in path { pointer += "/" + step.rendered }
        if let token { pointer += "/" + token.rendered }
        errors.append(.init(path: pointer, message: message))
    }

    /// Checks a member or element of the instance.
    @discardableResult
    private mutating func child(_ value: JSONValue, _ token: PathToken, _ node: SchemaNode) -> Annotations {
        let tracksPath = !quiet
        if tracksPath { path.append(token) }
        let outerReferences = references
        references = 0
        defer {
            if tracksPath { path.removeLast() }
            references = outerReferences
        }
        return check(value, node)
    }

    private mutating func childPasses(_ value: JSONValue, _ token: PathToken, _ node: SchemaNode) -> Bool {
        let (wasQuiet, hadFailed) = (quiet, failed)
        quiet = true
        failed = false
        child(value, token, node)
        let passed = !failed && !exhausted
        (quiet, failed) = (wasQuiet, hadFailed)
        return passed
    }

    private mutating func follow(_ target: SchemaNode, _ instance: JSONValue) -> Annotations {
        guard references < JSONSchema.maxReferences else {
            fail("the schema's $ref chain does not end")
            return Annotations()
        }
        references += 1
        defer { references -= 1 }
        return check(instance, target)
    }

    /// The outermost resource of the dynamic scope with a matching `$dynamicAnchor` wins.
    private func resolve(_ reference: DynamicReference) -> SchemaNode {
        if !reference.candidates.isEmpty {
            for resource in dynamic { if let target = reference.candidates[resource] { return target.node } }
        }
        return reference.initial.node
    }

    // MARK: Keywords

    private mutating func checkGeneric(_ instance: JSONValue, _ node: SchemaNode) {
        if let types = node.keywords.types, !types.admits(instance) { fail("must be of type \(node.keywords.typeNames.joined(separator: " or "))") }
        if let options = node.keywords.enumValues, !options.contains(instance) {
            fail("must be one of \(JSONValue.array(options).serializedString)")
        }
        if let constant = node.keywords.constValue, constant != instance { fail("must equal \(constant.serializedString)") }
    }

    private mutating func checkApplicators(_ instance: JSONValue, _ node: SchemaNode) -> Annotations {
        var annotations = Annotations()
        for subschema in node.keywords.allOf { annotations.merge(check(instance, subschema)) }
        if let any = node.keywords.anyOf {
            var matched = false
            for subschema in any {
                guard let passed = passes(instance, subschema) else { continue }
                matched = true
                annotations.merge(passed)
                // Every passing branch contributes annotations; without unevaluated* the first one settles it.
                if !tracksAnnotations { break }
            }
            if !matched { fail("must match at least one schema in anyOf") }
        }
        if let one = node.keywords.oneOf {
            var passing: [Annotations] = []
            for subschema in one {
                if let passed = passes(instance, subschema) { passing.append(passed) }
            }
            if passing.count == 1 {
                annotations.merge(passing[0])
            } else {
                fail("must match exactly one schema in oneOf (matched \(passing.count))")
            }
        }
        if let negated = node.keywords.not, passes(instance, negated) != nil { fail("must not match the schema in not") }
        if let condition = node.keywords.ifSchema {
            if let passed = passes(instance, condition) {
                annotations.merge(passed)
                if let then = node.keywords.thenSchema { annotations.merge(check(instance, then)) }
            } else if let otherwise = node.keywords.elseSchema {
                annotations.merge(check(instance, otherwise))
            }
        }
        return annotations
    }

    private mutating func checkNumber(_ instance: JSONValue, _ node: SchemaNode) {
        func compare(_ limit: JSONValue) -> Int? {
            // Exact for two integers; otherwise as doubles.
            if case let .integer(a) = instance, case let .integer(b) = limit { return a < b ? -1 : (a > b ? 1 : 0) }
            guard let a = instance.numberValue, let b = limit.numberValue else { return nil }
            return a < b ? -1 : (a > b ? 1 : 0)
        }
        if let limit = node.keywords.minimum, let order = compare(limit), order < 0 { fail("must be at least \(limit.serializedString)") }
        if let limit = node.keywords.maximum, let order = compare(limit), order > 0 { fail("must be at most \(limit.serializedString)") }
        if let limit = node.keywords.exclusiveMinimum, let order = compare(limit), order <= 0 {
            fail("must be greater than \(limit.serializedString)")
        }
        if let limit = node.keywords.exclusiveMaximum, let order = compare(limit), order >= 0 {
            fail("must be less than \(limit.serializedString)")
        }
        if let divisor = node.keywords.multipleOf, !Self.isMultiple(instance, of: divisor) {
            fail("must be a multiple of \(divisor.serializedString)")
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

    private mutating func checkString(_ text: String, _ node: SchemaNode) {
        if let format = node.keywords.format, !format.check.accepts(text) { fail("must be a valid \(format.name)") }
        if node.keywords.minLength != nil || node.keywords.maxLength != nil {
            // A string of n UTF-8 bytes has between n/4 and n code points: count them only when that range
            // straddles a limit.
            let bytes = Int64(text.utf8.count)
            let settled = bytes <= (node.keywords.maxLength ?? .max) && (bytes + 3) / 4 >= (node.keywords.minLength ?? 0)
            let length = settled ? bytes : Int64(text.unicodeScalars.count)
            if let minimum = node.keywords.minLength, length < minimum { fail("must be at least \(minimum) characters long") }
            if let maximum = node.keywords.maxLength, length > maximum { fail("must be at most \(maximum) characters long") }
        }
        if let pattern = node.keywords.pattern, !pattern.matches(text) { fail("must match the pattern \(pattern.source)") }
    }

    private mutating func checkArray(_ elements: [JSONValue], _ node: SchemaNode) -> Annotations {
        var annotations = Annotations()
        for index in 0..<min(node.keywords.prefixItems.count, elements.count) {
            child(elements[index], .index(index), node.keywords.prefixItems[index])
            if tracksAnnotations { annotations.items.insert(index) }
        }
        if let items = node.keywords.items, elements.count > node.keywords.prefixItems.count {
            for index in node.keywords.prefixItems.count..<elements.count {
                child(elements[index], .index(index), items)
                if stopped { return annotations }
                if tracksAnnotations { annotations.items.insert(index) }
            }
        }
        if let minimum = node.keywords.minItems, elements.count < minimum { fail("must have at least \(minimum) items") }
        if let maximum = node.keywords.maxItems, elements.count > maximum { fail("must have at most \(maximum) items") }
        if node.keywords.uniqueItems, Set(elements).count != elements.count { fail("must not contain duplicate items") }
        if let contains = node.keywords.contains {
            var count: Int64 = 0
            for (index, element) in elements.enumerated() where childPasses(element, .index(index), contains) {
                count += 1
                if tracksAnnotations { annotations.items.insert(index) }
            }
            if count < node.keywords.minContains { fail("must contain at least \(node.keywords.minContains) matching items") }
            if let maximum = node.keywords.maxContains, count > maximum { fail("must contain at most \(maximum) matching items") }
        }
        return annotations
    }

    private mutating func checkObject(_ instance: JSONValue, _ members: OrderedDictionary<String, JSONValue>, _ node: SchemaNode) -> Annotations {
        var annotations = Annotations()
        var requiredSeen = 0
        for (name, value) in members {
            var matched = false
            if let property = node.keywords.properties.lookup(name) {
                matched = true
                if property.required { requiredSeen += 1 }
                child(value, .key(name), property.schema)
            }
            for (pattern, subschema) in node.keywords.patternProperties where pattern.matches(name) {
                matched = true
                child(value, .key(name), subschema)
            }
            if !matched, let additional = node.keywords.additionalProperties {
                matched = true
                if additional.keywords.constant == false {
                    fail("is not an allowed property", at: .key(name))
                } else {
                    child(value, .key(name), additional)
                }
            }
            if matched, tracksAnnotations { annotations.properties.insert(name) }
            if let names = node.keywords.propertyNames, !childPasses(.string(name), .key(name), names) {
                fail("is not an allowed property name", at: .key(name))
            }
            if stopped { return annotations }
        }
        if requiredSeen != node.keywords.properties.requiredCount {
            for name in node.keywords.required where members[name] == nil { fail("is required", at: .key(name)) }
        }
        if let minimum = node.keywords.minProperties, members.count < minimum { fail("must have at least \(minimum) properties") }
        if let maximum = node.keywords.maxProperties, members.count > maximum { fail("must have at most \(maximum) properties") }
        for (name, needs) in node.keywords.dependentRequired where members[name] != nil {
            for other in needs where members[other] == nil { fail("is required when \(name) is present", at: .key(other)) }
        }
        for (name, subschema) in node.keywords.dependentSchemas where members[name] != nil { annotations.merge(check(instance, subschema)) }
        return annotations
    }

    /// JSON Pointer escaping of one reference token.
    static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

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
    /// References followed at one instance location before the schema counts as an endless loop.
    static let maxReferences = 128
    /// Subschemas entered along one path, a bound on recursion however the schema and instance nest.
    static let maxDepth = 512
    /// Subschema checks one validation may make: this many, plus `budgetPerValue` for each value of the instance.
    /// Real schemas use a few per value; a schema whose branches multiply is stopped within a fraction of a second.
    static let baseBudget = 250_000
    static let budgetPerValue = 64
    /// The base URI of a root schema without `$id`.
    static let defaultBase = "https://seek.invalid/schema.json"

    public let root: JSONValue
    let node: SchemaNode
    /// Keeps alive every node a reference leads to (see `SchemaTarget`).
    let arena: [SchemaNode]
    let usesAnnotations: Bool
    let usesDynamicScope: Bool

    /// Compiles `schema`; a schema that is not an object or boolean, a bad regex or a reference that resolves
    /// to nothing known is a 400.
    public init(_ schema: JSONValue, formatAssertion: Bool = true, documents: [String: JSONValue] = [:]) throws(SeekError) {
        guard schema.objectValue != nil || schema.boolValue != nil else {
            throw SeekError(.badRequest, "A JSON Schema must be an object or a boolean.")
        }
        var registry = MetaSchema.registry
        for (uri, document) in documents.sorted(by: { $0.key < $1.key }) { registry.add(document, at: uri) }
        var references: [(base: String, ref: String)] = []
        let rootBase = registry.add(schema, at: Self.defaultBase, references: &references)
        // Every reference and pattern is checked, reachable or not: a schema that holds a broken one is refused.
        for (base, ref) in references where registry.lookup(ref, from: base) == nil {
            throw SeekError(.badRequest, "The schema's reference \(ref) does not resolve to a known schema (Seek fetches none).")
        }
        var compiler = SchemaCompiler(
            registry: registry,
            validates: registry.usesValidation(schema["$schema"]?.stringValue, from: rootBase),
            formatAssertion: formatAssertion
        )
        for pattern in registry.patterns { _ = try compiler.pattern(pattern) }
        node = try compiler.target(schema, base: Self.defaultBase, ownBase: false).node
        arena = compiler.arena
        root = schema
        usesAnnotations = compiler.usesAnnotations
        usesDynamicScope = compiler.usesDynamicScope
    }

    /// Every place where `instance` breaks the schema, by JSON pointer into the instance.
    public func validate(_ instance: JSONValue) -> [SeekError.Detail] {
        // Most inputs pass: a first walk that stops at the first failure and keeps no pointers settles those;
        // only a failing input is walked again to say where and why.
        guard !isValid(instance) else { return [] }
        var run = SchemaValidation(annotations: usesAnnotations, dynamicScope: usesDynamicScope, instance: instance)
        run.check(instance, node)
        return run.errors
    }

    public func isValid(_ instance: JSONValue) -> Bool {
        var run = SchemaValidation(annotations: usesAnnotations, dynamicScope: usesDynamicScope, instance: instance)
        return run.passes(instance, node) != nil
    }
}

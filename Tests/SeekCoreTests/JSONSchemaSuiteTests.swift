import Foundation
import Testing

@testable import SeekCore

/// Runs the official JSON Schema Test Suite (draft 2020-12) over the files Seek claims.
/// Every case of every claimed file must pass; the README lists the same files.
@Suite("JSON Schema Test Suite, draft 2020-12")
struct JSONSchemaSuiteTests {
    /// Every required file of the suite, and the optional format files Seek claims: every case in each must pass.
    static let claimedFiles: [String] = {
        let required = ((try? FileManager.default.contentsOfDirectory(atPath: suiteDirectory.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return required + [
            "optional/format/date-time.json", "optional/format/date.json", "optional/format/email.json", "optional/format/ipv4.json",
            "optional/format/ipv6.json", "optional/format/uri.json", "optional/format/uuid.json",
        ]
    }()

    /// The suite's remotes, as its runner serves them at http://localhost:1234/: preloaded, never fetched.
    static let remotes: [String: JSONValue] = {
        let root = suiteDirectory.deletingLastPathComponent().appendingPathComponent("remotes")
        var documents: [String: JSONValue] = [:]
        let walker = FileManager.default.enumerator(atPath: root.path)
        while let relative = walker?.nextObject() as? String {
            guard relative.hasSuffix(".json"), let data = FileManager.default.contents(atPath: root.appendingPathComponent(relative).path),
                let document = try? JSONParser.parse(Array(data))
            else { continue }
            documents["http://localhost:1234/\(relative)"] = document
        }
        return documents
    }()

    static var suiteDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["SEEK_SCHEMA_SUITE"] { return URL(fileURLWithPath: path) }
        // Tests/SeekCoreTests/ThisFile.swift → Tests/Fixtures, a copy of the official suite with its licence
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/json-schema-test-suite/draft2020-12")
    }

    struct Failure: CustomStringConvertible {
        let file: String, group: String, test: String, expected: Bool
        var description: String { "\(file) › \(group) › \(test) (expected \(expected ? "valid" : "invalid"))" }
    }

    static func run(file: String, groups: Set<String>? = nil) throws -> (cases: Int, failures: [Failure]) {
        let data = try Data(contentsOf: suiteDirectory.appendingPathComponent(file))
        let document = try JSONParser.parse(Array(data))
        var cases = 0
        var failures: [Failure] = []
        for group in document.arrayValue ?? [] {
            let description = group["description"]?.stringValue ?? "?"
            if let groups, !groups.contains(description) { continue }
            // format is an annotation unless a validator is asked to assert it, as the optional files do.
            let schema = try JSONSchema(group["schema"] ?? .bool(true), formatAssertion: file.hasPrefix("optional/format/"), documents: remotes)
            for test in group["tests"]?.arrayValue ?? [] {
                cases += 1
                let expected = test["valid"]?.boolValue ?? false
                if schema.isValid(test["data"] ?? .null) != expected {
                    failures.append(Failure(file: file, group: description, test: test["description"]?.stringValue ?? "?", expected: expected))
                }
            }
        }
        return (cases, failures)
    }

    @Test("every case of a claimed file passes", arguments: claimedFiles)
    func claimedFile(_ file: String) throws {
        let (cases, failures) = try Self.run(file: file)
        #expect(cases > 0, "no cases read from \(file)")
        #expect(failures.isEmpty, "\(failures.count) of \(cases) failed:\n\(failures.map(\.description).joined(separator: "\n"))")
    }
}

/// What fuzzing found (scripts/fuzz), kept as tests: every input under Tests/Fixtures/fuzz-findings runs through
/// the same checks as its harness, and a schema whose work multiplies is stopped with a clear error.
@Suite("Schema validation under hostile schemas")
struct HostileSchemaTests {
    static var findings: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz-findings")
    }

    @Test("every schema finding compiles or is refused, and the fast check and the full walk agree")
    func schemaFindings() throws {
        let directory = Self.findings.appendingPathComponent("schema")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files.count >= 2)
        for file in files {
            let document = try JSONParser.parse(Array(try Data(contentsOf: directory.appendingPathComponent(file))))
            let pair = try #require(document.arrayValue, "\(file)")
            guard let schema = try? JSONSchema(pair[0]) else { continue }
            let errors = schema.validate(pair[1])
            #expect(errors.isEmpty == schema.isValid(pair[1]), "\(file): \(errors)")
        }
    }

    @Test("oneOf branches that multiply through $ref stop at the work budget with a clear error")
    func multiplyingBranches() throws {
        var definitions: [String: JSONValue] = ["l40": true]
        for level in 0..<40 {
            let next: JSONValue = ["$ref": .string("#/$defs/l\(level + 1)")]
            definitions["l\(level)"] = ["oneOf": [next, next]]
        }
        let schema = try JSONSchema(["$defs": .object(.init(uniqueKeysWithValues: definitions.sorted { $0.key < $1.key })), "$ref": "#/$defs/l0"])
        #expect(!schema.isValid(["any": 1]))
        let errors = schema.validate(["any": 1])
        #expect(errors.contains { $0.message.contains("too much work") }, "\(errors)")
    }

    @Test("a recursive schema is freed with its last copy (fuzzing saw memory grow: reference cycles were retain cycles)")
    func recursiveSchemaIsFreed() throws {
        weak var root: SchemaNode?
        weak var metaSchemaNode: SchemaNode?
        do {
            let schema = try JSONSchema([
                "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                "properties": ["children": ["type": "array", "items": ["$ref": "#"]], "next": ["$ref": "#/$defs/node"]],
                "$defs": ["node": ["$ref": "#"]],
            ])
            #expect(schema.isValid(["children": [["children": []]], "next": ["children": []]]))
            #expect(!schema.isValid(["children": [["children": 3]]]))
            root = schema.node
            metaSchemaNode = schema.arena.last
        }
        #expect(root == nil && metaSchemaNode == nil)
    }

    @Test("a large instance against a plain schema stays within its budget")
    func largeInstanceIsValidated() throws {
        let schema = try JSONSchema([
            "type": "array", "items": ["$ref": "#/$defs/item"], "$defs": ["item": ["type": "object", "properties": ["n": ["type": "integer"]]]],
        ])
        let instance = JSONValue.array((0..<50_000).map { ["n": .integer(Int64($0))] })
        #expect(schema.isValid(instance))
        #expect(schema.validate(instance).isEmpty)
    }
}

import Foundation
import Testing

@testable import SeekCore

/// Runs the official JSON Schema Test Suite (draft 2020-12) over the files Seek claims.
/// Every case of every claimed file must pass; the README lists the same files.
@Suite("JSON Schema Test Suite, draft 2020-12")
struct JSONSchemaSuiteTests {
    /// Claimed files: every case in each must pass.
    static let claimedFiles = [
        "additionalProperties.json", "allOf.json", "anyOf.json", "boolean_schema.json", "const.json", "contains.json",
        "dependentRequired.json", "dependentSchemas.json", "enum.json", "exclusiveMaximum.json", "exclusiveMinimum.json",
        "if-then-else.json", "infinite-loop-detection.json", "items.json", "maxContains.json", "maxItems.json", "maxLength.json",
        "maxProperties.json", "maximum.json", "minContains.json", "minItems.json", "minLength.json", "minProperties.json",
        "minimum.json", "multipleOf.json", "not.json", "oneOf.json", "pattern.json", "patternProperties.json", "prefixItems.json",
        "properties.json", "propertyNames.json", "required.json", "type.json", "uniqueItems.json",
        "optional/format/date-time.json", "optional/format/date.json", "optional/format/email.json", "optional/format/ipv4.json",
        "optional/format/ipv6.json", "optional/format/uri.json", "optional/format/uuid.json",
    ]

    /// ref.json needs remote documents and `$id` resolution for some groups; these groups use
    /// only in-document JSON pointers (what worker schemas use) and must pass whole.
    static let claimedRefGroups = [
        "root pointer ref", "relative pointer ref to object", "relative pointer ref to array", "escaped pointer ref", "nested refs",
        "ref applies alongside sibling keywords", "property named $ref that is not a reference",
        "property named $ref, containing an actual $ref", "$ref to boolean schema true", "$ref to boolean schema false",
        "refs with quote", "naive replacement of $ref with its destination is not correct",
        "empty tokens in $ref json-pointer",
    ]

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
            let schema = try JSONSchema(group["schema"] ?? .bool(true))
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

    @Test("the claimed in-document $ref groups of ref.json pass")
    func refGroups() throws {
        let (cases, failures) = try Self.run(file: "ref.json", groups: Set(Self.claimedRefGroups))
        #expect(cases >= 30, "expected the claimed groups' cases, read \(cases)")
        #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n"))")
    }
}

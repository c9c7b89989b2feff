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

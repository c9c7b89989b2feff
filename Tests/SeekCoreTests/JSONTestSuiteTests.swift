import Foundation
import Testing

@testable import SeekCore

/// Runs Nicolas Seriot's JSONTestSuite (a copy under Tests/Fixtures with its licence) through the parser:
/// `y_` files must parse, `n_` files must be refused with a located message, `i_` files may go either way
/// but must be answered. The fuzz harnesses (fuzz/) start from the same files.
@Suite("JSONTestSuite parsing")
struct JSONTestSuiteTests {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/json-test-suite/test_parsing")
    }

    static func files(_ prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
    }

    static func bytes(_ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(file)))
    }

    @Test("the suite is here: 95 y_, 188 n_ and 35 i_ files")
    func suiteIsPresent() {
        #expect(Self.files("y_").count == 95)
        #expect(Self.files("n_").count == 188)
        #expect(Self.files("i_").count == 35)
    }

    @Test("every y_ file parses, and its value survives writing and parsing again")
    func acceptsEveryValidDocument() throws {
        var refused: [String] = []
        for file in Self.files("y_") {
            do {
                let value = try JSONParser.parse(try Self.bytes(file))
                #expect(try JSONParser.parse(value.serialized) == value, "\(file) does not round-trip")
            } catch {
                refused.append("\(file): \(error)")
            }
        }
        #expect(refused.isEmpty, "refused: \(refused)")
    }

    @Test("every n_ file is refused with a message and the byte offset where it went wrong")
    func refusesEveryInvalidDocument() throws {
        var accepted: [String] = []
        for file in Self.files("n_") {
            let bytes = try Self.bytes(file)
            do {
                _ = try JSONParser.parse(bytes)
                accepted.append(file)
            } catch {
                #expect(!error.message.isEmpty && error.offset >= 0 && error.offset <= bytes.count, "\(file): \(error)")
            }
        }
        #expect(accepted.isEmpty, "accepted: \(accepted)")
    }

    @Test("every i_ file is answered, one way or the other, without a crash")
    func answersEveryImplementationDefinedDocument() throws {
        var answers: [String: Bool] = [:]
        for file in Self.files("i_") {
            answers[file] = (try? JSONParser.parse(try Self.bytes(file))) != nil
        }
        #expect(answers.count == Self.files("i_").count)
        // Nesting past the limit is refused; invalid UTF-8 is refused rather than replaced.
        #expect(answers["i_structure_500_nested_arrays.json"] == false)
        #expect(answers["i_string_invalid_utf-8.json"] == false)
    }

    @Test("the 100,000-level nesting files are refused at the nesting limit")
    func deepNestingIsRefused() throws {
        for file in ["n_structure_100000_opening_arrays.json", "n_structure_open_array_object.json"] {
            let bytes = try Self.bytes(file)
            do {
                _ = try JSONParser.parse(bytes)
                Issue.record("\(file) parsed")
            } catch {
                #expect(error.message.contains("nested deeper than"), "\(file): \(error)")
            }
        }
    }
}

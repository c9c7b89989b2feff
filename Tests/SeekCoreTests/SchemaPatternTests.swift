import Foundation
import Testing

@testable import SeekCore

/// The automaton behind simple schema patterns, checked against ICU (NSRegularExpression) on inputs where
/// ECMA-262 and ICU agree, and on the points where Seek follows ECMA-262 instead.
@Suite("Schema patterns")
struct SchemaPatternTests {
    static let patterns = [
        "^[a-z0-9-]{3,40}$", "^[a-z ]*$", "abc", "^abc", "abc$", "a*b", "^a*a*a*b$", "x?y+z{2}", "^\\d{4}-\\d{2}-\\d{2}$",
        "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", "[A-F0-9]{2,}", "^.{0,5}$", "^\\w+$", "^[\\w.-]+$", "^[+-]?\\d+(?:x)?$", "^\\$\\.\\*$",
        "^[-a]$", "^[a-]$", "colou?r", "^a{2,}$", "^a{0}b$", "^\\x41\\u0042$", "^[\\d\\s]+$", "^\\S+$", "^\\W*$", "^\\D+$",
        "^$", "b+?c", "^[a-c]{1,3}?d$",
    ]
    static let inputs = [
        "", "a", "b", "ab", "aab", "abc", "xabcx", "xyzz", "yzz", "xyz", "2026-12-02", "2026-1-02", "user@example.com",
        "a b@c.de", "FF00", "f0", "hello", "hello world", "x.y-z", "+12", "-1x", "$.*", "-", "a-", "color", "colour",
        "aa", "aaa", "b", "AB", "12 34", "   ", "!!", "bbc", "aaad", "abcd", "ccccd",
    ]

    @Test("repetition counts with a sign are not counts (a fuzzing find: `a{-1}` trapped)")
    func signedCounts() throws {
        for source in ["a{-1}", "a{+2}", "a{1,-1}", "a{-0}", "^x{ 2}$", "a{99999999999999999999}"] {
            #expect(SimplePattern(source) == nil, "\(source) goes to ICU")
            _ = try? JSONSchema(["pattern": .string(source)])
        }
    }

    @Test func agreesWithICUWhereBothApply() throws {
        var compared = 0
        for source in Self.patterns {
            let regex = try NSRegularExpression(pattern: source)
            let simple = SimplePattern(source)
            if source.contains("(") {
                #expect(simple == nil, "groups go to ICU: \(source)")
                continue
            }
            let automaton = try #require(simple, "\(source) is in the simple subset")
            for input in Self.inputs {
                let icu = regex.firstMatch(in: input, range: NSRange(location: 0, length: input.utf16.count)) != nil
                #expect(automaton.matches(input) == icu, "\(source) on \(input.debugDescription)")
                compared += 1
            }
        }
        #expect(compared > 1000)
    }

    @Test func followsECMAScriptWhereICUDiffers() throws {
        // ECMA-262: \d is ASCII only, and $ without the m flag matches only at the very end.
        let digits = try #require(SimplePattern("^\\d+$"))
        #expect(digits.matches("123"))
        #expect(!digits.matches("١٢٣"))
        #expect(!(try #require(SimplePattern("^\\w+$")).matches("héllo")))
        let end = try #require(SimplePattern("^abc$"))
        #expect(!end.matches("abc\n"))
        #expect(try #require(SimplePattern("^.$")).matches("é"))
        // The empty pattern (which ICU refuses) matches everything.
        #expect(try #require(SimplePattern("")).matches("anything"))
        #expect(!(try #require(SimplePattern("^.$")).matches("\n")))
    }

    @Test func leavesTheRestToICU() {
        for source in ["(a|b)", "a|b", "^\\bword\\b$", "\\p{L}", "(?=x)", "\\1", "[[:alpha:]]", "a{,3}", "[]", "a**"] {
            #expect(SimplePattern(source) == nil, "\(source)")
        }
    }

    @Test func schemaPatternsRefuseInvalidRegexes() {
        #expect(throws: SeekError.self) { try SchemaPattern("(unclosed") }
        #expect(throws: SeekError.self) { try SchemaPattern("[z-a]") }
    }
}

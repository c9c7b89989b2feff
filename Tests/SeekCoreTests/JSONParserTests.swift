import Testing

@testable import SeekCore

@Suite("JSON parsing and writing")
struct JSONParserTests {
    @Test("10,000 nested arrays are an error, not a crash")
    func deepNesting() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
        let objects = String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(objects) }
    }

    @Test("nesting up to the limit parses")
    func nestingAtLimit() throws {
        let depth = JSONParser.defaultMaxDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        _ = try JSONParser.parse(text)
    }

    @Test(
        "malformed documents are rejected",
        arguments: [
            "", "{", "{\"a\"}", "{\"a\":1,}", "[1,]", "01", "1.", ".5", "-", "tru", "\"\\x\"", "\"a", "{\"a\":1} x", "NaN", "1e999",
            "\"\u{01}\"", "\"\\ud800\"", "{'a':1}",
        ]
    )
    func malformed(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test("values round-trip with key order, escapes and exact integers")
    func roundTrip() throws {
        let text = #"{"z":1,"a":[true,false,null],"s":"line\nbreak \"q\" \\ é 😀","n":-12.5,"big":9007199254740993}"#
        let value = try JSONParser.parse(text)
        #expect(value["big"] == .integer(9_007_199_254_740_993))
        #expect(value["s"]?.stringValue == "line\nbreak \"q\" \\ é 😀")
        #expect(value.objectValue.map { Array($0.keys) } == ["z", "a", "s", "n", "big"])
        #expect(try JSONParser.parse(value.serializedString) == value)
    }

    @Test("surrogate pairs decode to one scalar")
    func surrogates() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test("a repeated key keeps the last value")
    func duplicateKeys() throws {
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test("numbers compare by value; strings by code point")
    func equality() {
        #expect(JSONValue.integer(1) == .double(1.0))
        #expect(JSONValue.string("\u{e9}") != .string("e\u{301}"))
        #expect(JSONValue.object(["a": 1, "b": 2]) == .object(["b": 2, "a": 1]))
    }
}

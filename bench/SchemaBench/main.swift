import Foundation
import SeekCore

// A benchmark, not a test: how long one validation of a 1,000-item input takes against a compiled schema.
// swift run -c release schema-bench [runs]
// Two inputs: the email validator's (1,000 addresses, format-checked) and a list of 1,000 small objects
// reached through a $ref, with a pattern, an enum and bounds on each.

let emails: JSONValue = [
    "type": "object", "required": ["emails"],
    "properties": [
        "emails": ["type": "array", "minItems": 1, "maxItems": 1000, "items": ["type": "string", "format": "email", "maxLength": 254]],
        "check_mx": ["type": "boolean"],
    ],
]
let emailInput: JSONValue = ["check_mx": true, "emails": .array((0..<1000).map { .string("user\($0)@example\($0 % 17).com") })]

let schema: JSONValue = [
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["emails"],
    "properties": [
        "emails": ["type": "array", "minItems": 1, "maxItems": 1000, "items": ["$ref": "#/$defs/entry"]],
        "check_mx": ["type": "boolean"],
    ],
    "$defs": [
        "entry": [
            "type": "object", "required": ["address", "weight"], "additionalProperties": false,
            "properties": [
                "address": ["type": "string", "format": "email", "maxLength": 254],
                "weight": ["type": "integer", "minimum": 0, "maximum": 100],
                "tag": ["enum": ["work", "home", "other"]],
                "note": ["type": "string", "pattern": "^[a-z ]*$"],
            ],
        ]
    ],
]
let input: JSONValue = [
    "check_mx": true,
    "emails": .array(
        (0..<1000).map { n in
            ["address": .string("user\(n)@example\(n % 17).com"), "weight": .integer(Int64(n % 100)), "tag": "work", "note": "a note"]
        }
    ),
]

let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2000 : 2000

/// Validates `input` `runs` times and prints one table row.
func measure(_ name: String, schema: JSONValue, input: JSONValue) throws {
    let compiled = try JSONSchema(schema)
    precondition(compiled.isValid(input), "the benchmark's input must be valid")
    let clock = ContinuousClock()
    for _ in 0..<100 { _ = compiled.validate(input) }  // warm-up
    var samples: [Duration] = []
    samples.reserveCapacity(runs)
    for _ in 0..<runs {
        let start = clock.now
        _ = compiled.validate(input)
        samples.append(clock.now - start)
    }
    samples.sort()
    func ms(_ duration: Duration) -> String { String(format: "%.3f ms", duration.seconds * 1000) }
    let mean = samples.reduce(Duration.zero, +) / runs
    print("| \(name) (\(runs) runs) | mean \(ms(mean)), p50 \(ms(samples[runs / 2])), p99 \(ms(samples[runs * 99 / 100])) (target < 1 ms) |")
}

try measure("1,000 email addresses, format email", schema: emails, input: emailInput)
try measure("1,000 objects via $ref: format, pattern, enum, bounds", schema: schema, input: input)

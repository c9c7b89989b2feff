import Testing

@testable import SeekCore

@Suite("Worker manifests")
struct WorkerManifestTests {
    static func manifest(schema: JSONValue) -> JSONValue {
        [
            "id": "sample", "name": "Sample", "version": "1.0.0", "input_schema": schema, "output": ["kind": "object"],
            "pricing": ["billing_mode": "per_run", "credits_per_run": 1], "max_duration_s": 10,
        ]
    }

    @Test("an input schema is held to the 2020-12 meta-schema: a misspelt type or a bad keyword value is a 422 at its path")
    func metaSchema() {
        for (schema, path) in [
            (["type": "objekt"], "/input_schema/type"), (["minLength": "five"], "/input_schema/minLength"),
            (["properties": ["a": ["required": true]]], "/input_schema/properties/a/required"),
        ] as [(JSONValue, String)] {
            #expect {
                try WorkerManifest(json: Self.manifest(schema: schema))
            } throws: { error in
                (error as? SeekError)?.details.contains { $0.path == path } == true
            }
        }
        #expect(throws: Never.self) { try WorkerManifest(json: Self.manifest(schema: ["type": "object", "properties": ["a": ["type": "string"]]])) }
    }

    @Test("semantic versions")
    func versions() {
        for good in ["1.0.0", "0.10.2", "2.0.0-beta.1"] { #expect(SemanticVersion(good) != nil, "\(good)") }
        for bad in ["1", "1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0.0", ""] { #expect(SemanticVersion(bad) == nil, "\(bad)") }
    }
}

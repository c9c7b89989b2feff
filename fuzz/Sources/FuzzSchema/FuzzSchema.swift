import SeekCore

/// libFuzzer's entry for schema compilation and validation. A document `[schema, instance]` compiles the
/// schema and validates the instance; any other document is both. Compiling either succeeds or refuses with a
/// message; validation must agree with itself (the fast check and the full walk) and cap what it reports.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchema(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let document = try? JSONParser.parse(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    let (schema, instance): (JSONValue, JSONValue)
    if let pair = document.arrayValue, pair.count == 2 {
        (schema, instance) = (pair[0], pair[1])
    } else {
        (schema, instance) = (document, document)
    }
    let compiled: JSONSchema
    do {
        compiled = try JSONSchema(schema)
    } catch {
        precondition(!error.message.isEmpty, "a refusal without a message")
        return 0
    }
    let errors = compiled.validate(instance)
    precondition(errors.isEmpty == compiled.isValid(instance), "the fast check and the full walk disagree")
    return 0
}

import SeekCore

/// libFuzzer's entry: any bytes are either a JSON document, which must write back to a document that parses
/// to the same value, or a refusal that says where it went wrong. A trap, a hang or a stack overflow is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    do {
        let value = try JSONParser.parse(bytes)
        let again: JSONValue
        do {
            again = try JSONParser.parse(value.serialized)
        } catch {
            fatalError("the writer made a document the parser refuses: \(error)")
        }
        precondition(again == value, "writing and parsing again changed the value")
    } catch {
        precondition(!error.message.isEmpty && error.offset >= 0 && error.offset <= size, "a refusal without a place: \(error)")
    }
    return 0
}

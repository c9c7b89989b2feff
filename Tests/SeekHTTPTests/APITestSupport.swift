import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SeekCore
import SeekHTTP
import SeekRuntime
import SeekStore
import SeekTestSupport
import SeekWorkers

extension TestClientProtocol {
    /// Sends a request with the key and returns status, headers and the JSON body.
    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        key: String?,
        body: String? = nil,
        headers extra: HTTPFields = [:]
    )
        async throws -> (status: Int, headers: HTTPFields, json: JSONValue)
    {
        var headers = extra
        if let key { headers[HTTPField.Name("X-Api-Key")!] = key }
        if body != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let bytes = response.body.readableBytesView
            let json = bytes.isEmpty ? JSONValue.null : ((try? JSONParser.parse(Array(bytes))) ?? .string(String(buffer: response.body)))
            return (Int(response.status.code), response.headers, json)
        }
    }
}

extension JSONValue {
    /// Checks the contract's error shape and returns the error code.
    var errorCode: String? {
        guard self["error"]?.stringValue != nil, self["message"]?.stringValue != nil, self["status"]?.integerValue != nil,
            self["request_id"]?.stringValue != nil
        else { return nil }
        return self["error"]?.stringValue
    }
}

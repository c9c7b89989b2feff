import HTTPTypes
import Hummingbird
import NIOCore
import SeekCore

/// Turns any error into the contract's body `{"error", "message", "status", "details"?, "request_id"}`.
/// The only place where a `SeekError.Code` becomes an HTTP status.
enum SeekErrorResponse {
    static func status(for code: SeekError.Code) -> HTTPResponse.Status {
        switch code {
        case .badRequest: return .badRequest
        case .unauthorized: return .unauthorized
        case .paymentRequired: return HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
        case .forbidden: return .forbidden
        case .notFound: return .notFound
        case .conflict: return .conflict
        case .payloadTooLarge: return .contentTooLarge
        case .unprocessableEntity: return .unprocessableContent
        case .tooManyRequests: return .tooManyRequests
        case .internalServerError: return .internalServerError
        case .serviceUnavailable: return .serviceUnavailable
        }
    }

    /// Maps framework errors to the domain's; anything unknown is a 500 whose cause stays in the log.
    static func seekError(from error: any Error) -> SeekError {
        switch error {
        case let error as SeekError: return error
        case is NIOTooManyBytesError: return SeekError(.payloadTooLarge, "The request body is larger than 1 MiB.")
        case let error as HTTPError:
            switch error.status {
            case .notFound: return SeekError(.notFound, "No route matches this path.")
            case .methodNotAllowed: return SeekError(.notFound, "No route matches this method and path.")
            case .contentTooLarge: return SeekError(.payloadTooLarge, "The request body is larger than 1 MiB.")
            case .badRequest: return SeekError(.badRequest, error.body ?? "The request is malformed.")
            default: return SeekError(.internalServerError, "Unexpected server error. Retry after a short delay.")
            }
        default:
            return SeekError(.internalServerError, "Unexpected server error. Retry after a short delay.")
        }
    }

    static func response(for error: SeekError, requestID: String) -> Response {
        let status = status(for: error.code)
        var body: OrderedDictionaryOfJSON = [
            "error": .string(error.code.rawValue),
            "message": .string(error.message),
            "status": .integer(Int64(status.code)),
        ]
        if !error.details.isEmpty {
            body["details"] = .array(error.details.map { ["path": .string($0.path), "message": .string($0.message)] })
        }
        body["request_id"] = .string(requestID)
        return JSONResponse.make(status: status, .object(body))
    }
}

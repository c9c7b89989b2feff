/// The one error type the domain throws. Only SeekHTTP turns a code into a status and a body.
public struct SeekError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The contract's error codes: each status's title in snake case.
    public enum Code: String, Sendable, CaseIterable {
        case badRequest = "bad_request"
        case unauthorized
        case paymentRequired = "payment_required"
        case forbidden
        case notFound = "not_found"
        case conflict
        case payloadTooLarge = "payload_too_large"
        case unprocessableEntity = "unprocessable_entity"
        case tooManyRequests = "too_many_requests"
        case internalServerError = "internal_server_error"
        case serviceUnavailable = "service_unavailable"
    }

    /// One failing place in a request, for 422s: a JSON pointer into the input and what is wrong there.
    public struct Detail: Sendable, Equatable {
        public let path: String
        public let message: String
        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    /// A response lists at most this many details; the message says how many there were.
    public static let maxDetails = 100

    public let code: Code
    public let message: String
    public let details: [Detail]

    public init(_ code: Code, _ message: String, details: [Detail] = []) {
        self.code = code
        // An input with a million bad members gets a bounded answer, not a million-line one.
        if details.count > Self.maxDetails {
            self.message = message + " (The first \(Self.maxDetails) of \(details.count) problems are listed.)"
            self.details = Array(details.prefix(Self.maxDetails))
        } else {
            self.message = message
            self.details = details
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static let unauthorized = SeekError(.unauthorized, "Missing or invalid X-Api-Key header.")
    public static func notFound(_ what: String) -> SeekError { SeekError(.notFound, "\(what) does not exist.") }
}

import HTTPTypes
import Hummingbird
import Logging
import SeekCore

/// Gives every request an id (the caller's `X-Request-Id` when it is sane), puts it in the
/// logger's metadata and the response's header, and writes one access-log line.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let incoming = request.headers[.requestID]
        context.requestID = incoming.flatMap { Self.isSane($0) ? $0 : nil } ?? "req_\(ULID.make())"
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        let started = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[.requestID] = context.requestID
        if context.logger.logLevel <= .info {
            let elapsed = ContinuousClock.now - started
            context.logger.info(
                "request",
                metadata: [
                    "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                    "status": .stringConvertible(response.status.code),
                    "duration_ms": .string(
                        String(format: "%.2f", elapsed.seconds * 1000)
                    ),
                ]
            )
        }
        return response
    }

    private static func isSane(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { ASCII.isRequestIDByte($0) }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let apiKey = HTTPField.Name("X-Api-Key")!
    static let seekVersion = HTTPField.Name("Seek-Version")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let prefer = HTTPField.Name("Prefer")!
    static let preferenceApplied = HTTPField.Name("Preference-Applied")!
}

enum ASCII {
    static func isRequestIDByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-_.:".utf8.contains(byte)
    }
}

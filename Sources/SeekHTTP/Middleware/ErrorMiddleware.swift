import HTTPTypes
import Hummingbird
import Logging
import SeekCore

/// Catches every error below it and answers in the contract's shape; a 500's cause goes to the
/// log only, never to the client.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (cause, headers) = (error as? ErrorWithHeaders).map { ($0.error, $0.headers) } ?? (error, [:])
            let seekError = SeekErrorResponse.seekError(from: cause)
            if seekError.code == .internalServerError {
                context.logger.error(
                    "Unhandled error",
                    metadata: ["error": "\(String(reflecting: type(of: cause)))", "detail": "\(String(reflecting: cause))"]
                )
            }
            var response = SeekErrorResponse.response(for: seekError, requestID: context.requestID)
            response.headers.append(contentsOf: headers)
            return response
        }
    }
}

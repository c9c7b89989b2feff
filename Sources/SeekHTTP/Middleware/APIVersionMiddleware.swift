import Foundation
import HTTPTypes
import Hummingbird
import SeekCore

/// Reads `Seek-Version`: absent means the current version; an unknown one is a 400.
struct APIVersionMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let asked = request.headers[.seekVersion] {
            guard let version = APIVersion(rawValue: asked.trimmingCharacters(in: .whitespaces)) else {
                throw SeekError(.badRequest, "Unknown Seek-Version \(asked.prefix(40)); supported: 2026-03-16 (default), 2026-01-15.")
            }
            context.apiVersion = version
        }
        return try await next(request, context)
    }
}

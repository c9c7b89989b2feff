import Foundation
import Hummingbird
import SeekCore
import SeekStore
import Synchronization

/// Opens each calendar month (UTC) on a workspace's first request in it: the plan's grant arrives and
/// the unused rest of the last one expires. The store makes that happen once; this only avoids asking
/// it again within a month.
struct MonthlyGrantMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext
    let store: any LedgerStore
    let now: @Sendable () -> Date
    let opened = OpenedMonths()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let identity = context.identity, identity.hasMonthlyGrant {
            let date = now()
            let month = UTCMonth(date)
            if !opened.contains(identity.workspaceID, month) {
                _ = try await store.openMonth(workspaceID: identity.workspaceID, month: month, at: date)
                opened.insert(identity.workspaceID, month)
            }
        }
        return try await next(request, context)
    }
}

/// The month each workspace was last seen opened in this process.
final class OpenedMonths: Sendable {
    private let months = Mutex<[String: UTCMonth]>([:])

    func contains(_ workspaceID: String, _ month: UTCMonth) -> Bool {
        months.withLock { $0[workspaceID].map { $0 >= month } ?? false }
    }

    func insert(_ workspaceID: String, _ month: UTCMonth) {
        months.withLock { months in months[workspaceID] = max(months[workspaceID] ?? month, month) }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import SeekCore
import SeekStore

/// `/v1/me`, its credits and usage, API keys and webhook secret.
struct AccountController {
    let store: any SeekStore
    let keys: APIKeyResolver
    let presenter: Presenter
    /// The wall clock, for the default month of the usage report.
    let now: @Sendable () -> Date

    func register(in v1: RouterGroup<SeekRequestContext>) {
        v1.get("me", use: me)
        v1.get("me/credits", use: credits)
        v1.get("me/usage", use: usage)
        v1.get("me/keys", use: keys)
        v1.post("me/keys", use: createKey)
        v1.delete("me/keys/:key_id", use: revokeKey)
        // The signing secret signs webhooks: whoever reads it can forge them.
        let credentials = v1.group("me/webhook-secret").add(middleware: CredentialScopeMiddleware())
        credentials.get(use: webhookSecret)
        credentials.post("rotate", use: rotateWebhookSecret)
    }

    @Sendable func webhookSecret(request: Request, context: SeekRequestContext) async throws -> Response {
        JSONResponse.make(presenter.webhookSecrets(try await store.webhookSecrets(workspaceID: try context.workspaceID())))
    }

    @Sendable func rotateWebhookSecret(request: Request, context: SeekRequestContext) async throws -> Response {
        JSONResponse.make(presenter.webhookSecrets(try await store.rotateWebhookSecret(workspaceID: try context.workspaceID())))
    }

    @Sendable func me(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspace = try await currentWorkspace(context)
        return JSONResponse.make([
            "workspace": ["id": .string(workspace.id), "name": .string(workspace.name), "created_at": Timestamp.json(workspace.createdAt)],
            "plan": presenter.plan(of: workspace),
            "credits": presenter.credits(workspace.credits),
            "api_key": ["id": .string(context.identity?.keyID)],
        ])
    }

    /// The balance, and the ledger newest first: `cursor`, `limit`, `from` and `to` (RFC 3339 or a date; `to`
    /// excluded), `type` (one or more of the entry types, comma-separated).
    @Sendable func credits(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspace = try await currentWorkspace(context)
        let query = request.uri.queryParameters
        var filter = LedgerFilter(limit: try Query.limit(request, fallback: 50, maximum: 100))
        filter.cursor = query.get("cursor")
        if let cursor = filter.cursor, !IDKind.txn.matches(cursor) { throw SeekError(.badRequest, "cursor must be a ledger entry id (txn_…).") }
        filter.from = try Query.timestamp(request, "from")
        filter.to = try Query.timestamp(request, "to")
        if let types = query.get("type") {
            for name in types.split(separator: ",", omittingEmptySubsequences: false) {
                guard let type = LedgerEntryType(rawValue: String(name)) else {
                    throw SeekError(
                        .badRequest,
                        "type must be one or more of \(LedgerEntryType.allCases.map(\.rawValue).joined(separator: ", ")), comma-separated."
                    )
                }
                filter.types.insert(type)
            }
        }
        let page = try await store.ledger(workspaceID: workspace.id, filter: filter)
        guard case var .object(body) = presenter.credits(workspace.credits),
            case let .object(list) = presenter.page(page.items.map(presenter.ledgerEntry), nextCursor: page.nextCursor)
        else { throw SeekError(.internalServerError, "Rendering credits failed.") }
        body["credit_line"] = .integer(Int64(workspace.creditLine))
        body.merge(list) { current, _ in current }
        return JSONResponse.make(.object(body))
    }

    /// `?month=YYYY-MM` (default: this month, UTC): credits charged and jobs, per worker and per day.
    @Sendable func usage(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        var month = UTCMonth(now())
        if let text = request.uri.queryParameters.get("month") {
            guard let parsed = UTCMonth(parsing: String(text)) else { throw SeekError(.badRequest, "month must be YYYY-MM, like 2026-03.") }
            month = parsed
        }
        return JSONResponse.make(presenter.usage(try await store.usage(workspaceID: workspaceID, month: month)))
    }

    /// The live keys, oldest first, `limit` (default and most 100) at a time after `cursor` (a key id). The
    /// plan's key cap keeps the whole list short, so the page is cut from it here.
    @Sendable func keys(request: Request, context: SeekRequestContext) async throws -> Response {
        let keys = try await store.keys(workspaceID: try context.workspaceID())
        let limit = try Query.limit(request, fallback: 100, maximum: 100)
        var start = keys.startIndex
        if let cursor = request.uri.queryParameters.get("cursor") {
            guard IDKind.key.matches(String(cursor)), let index = keys.firstIndex(where: { $0.id == String(cursor) }) else {
                throw SeekError(.badRequest, "cursor must be the id of a live key from a previous page.")
            }
            start = keys.index(after: index)
        }
        let page = keys[start...].prefix(limit)
        let more = page.endIndex < keys.endIndex
        return JSONResponse.make(presenter.page(page.map(presenter.key), nextCursor: more ? page.last?.id : nil))
    }

    @Sendable func createKey(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let body = try await JSONRequest.object(of: request, context: context)
        // Bytes, not characters: one character may hold any number of combining scalars.
        guard let name = body["name"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), (1...100).contains(name.utf8.count) else {
            throw SeekError(.badRequest, "name is required: a string of 1 to 100 bytes.")
        }
        var scope = KeyScope.full
        if let requested = body["scope"], requested != .null {
            guard let name = requested.stringValue, let parsed = KeyScope(rawValue: name) else {
                throw SeekError(.badRequest, "scope must be one of \(KeyScope.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            scope = parsed
        }
        let created = try await store.createKey(workspaceID: workspaceID, name: name, scope: scope)
        guard case var .object(members) = presenter.key(created.record) else { throw SeekError(.internalServerError, "Rendering a key failed.") }
        members["key"] = .string(created.key)
        return JSONResponse.make(status: .created, .object(members))
    }

    @Sendable func revokeKey(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = context.parameters.get("key_id") ?? ""
        guard IDKind.key.matches(id) else { throw SeekError.notFound("API key \(id.prefix(64))") }
        let record = try await keys.revoke(workspaceID: try context.workspaceID(), keyID: id)
        guard case var .object(members) = presenter.key(record) else { throw SeekError(.internalServerError, "Rendering a key failed.") }
        members["revoked_at"] = Timestamp.json(record.revokedAt)
        return JSONResponse.make(.object(members))
    }

    private func currentWorkspace(_ context: SeekRequestContext) async throws -> Workspace {
        guard let workspace = try await store.workspace(id: try context.workspaceID()) else { throw SeekError.unauthorized }
        return workspace
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import SeekCore
import SeekStore

/// `/v1/me`, its credits, deployments and API keys.
struct AccountController {
    let store: any SeekStore
    let presenter: Presenter

    func register(in v1: RouterGroup<SeekRequestContext>) {
        v1.get("me", use: me)
        v1.get("me/credits", use: credits)
        v1.get("me/deployments", use: deployments)
        v1.get("me/keys", use: keys)
        v1.post("me/keys", use: createKey)
        v1.delete("me/keys/:key_id", use: revokeKey)
        v1.get("me/webhook-secret", use: webhookSecret)
        v1.post("me/webhook-secret/rotate", use: rotateWebhookSecret)
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
            "plan": presenter.plan(workspace.plan),
            "credits": presenter.credits(workspace.credits),
            "api_key": ["id": .string(context.identity?.keyID)],
        ])
    }

    @Sendable func credits(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspace = try await currentWorkspace(context)
        let limit = try Query.limit(request, fallback: 50, maximum: 100)
        let cursor = request.uri.queryParameters.get("cursor")
        if let cursor, !IDKind.txn.matches(cursor) { throw SeekError(.badRequest, "cursor must be a ledger entry id (txn_…).") }
        let page = try await store.ledger(workspaceID: workspace.id, after: cursor, limit: limit)
        guard case var .object(body) = presenter.credits(workspace.credits),
              case let .object(list) = presenter.page(page.items.map(presenter.ledgerEntry), nextCursor: page.nextCursor)
        else { throw SeekError(.internalServerError, "Rendering credits failed.") }
        body.merge(list) { current, _ in current }
        return JSONResponse.make(.object(body))
    }

    @Sendable func deployments(request: Request, context: SeekRequestContext) async throws -> Response {
        _ = try context.workspaceID()
        // Publishing workers arrives later; until then no workspace has deployments.
        return JSONResponse.make(presenter.page([], nextCursor: nil))
    }

    @Sendable func keys(request: Request, context: SeekRequestContext) async throws -> Response {
        let keys = try await store.keys(workspaceID: try context.workspaceID())
        return JSONResponse.make(["data": .array(keys.map(presenter.key))])
    }

    @Sendable func createKey(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let body = try await JSONRequest.object(of: request, context: context)
        guard let name = body["name"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), (1...100).contains(name.count) else {
            throw SeekError(.badRequest, "name is required: a string of 1 to 100 characters.")
        }
        let created = try await store.createKey(workspaceID: workspaceID, name: name)
        guard case var .object(members) = presenter.key(created.record) else { throw SeekError(.internalServerError, "Rendering a key failed.") }
        members["key"] = .string(created.key)
        return JSONResponse.make(status: .created, .object(members))
    }

    @Sendable func revokeKey(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = context.parameters.get("key_id") ?? ""
        guard IDKind.key.matches(id) else { throw SeekError.notFound("API key \(id.prefix(64))") }
        let record = try await store.revokeKey(workspaceID: try context.workspaceID(), keyID: id)
        guard case var .object(members) = presenter.key(record) else { throw SeekError(.internalServerError, "Rendering a key failed.") }
        members["revoked_at"] = Timestamp.json(record.revokedAt)
        return JSONResponse.make(.object(members))
    }

    private func currentWorkspace(_ context: SeekRequestContext) async throws -> Workspace {
        guard let workspace = try await store.workspace(id: try context.workspaceID()) else { throw SeekError.unauthorized }
        return workspace
    }
}

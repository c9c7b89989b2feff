import Foundation

/// An API key as listed: never the key itself.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var workspaceID: String
    public var name: String
    public var prefix: String
    public var scope: KeyScope
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: String,
        workspaceID: String,
        name: String,
        prefix: String,
        scope: KeyScope,
        createdAt: Date,
        lastUsedAt: Date? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.name = name
        self.prefix = prefix
        self.scope = scope
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// A new key's record: its id, and the prefix that names it in lists.
    public static func new(workspaceID: String, name: String, key: String, scope: KeyScope, at now: Date) -> APIKeyRecord {
        APIKeyRecord(
            id: IDKind.key.make(now: now),
            workspaceID: workspaceID,
            name: name,
            prefix: Secrets.displayPrefix(of: key),
            scope: scope,
            createdAt: now
        )
    }

    /// A workspace holds at most `Workspace.maxKeys` live keys (409 past it).
    public static func checkCreatable(liveKeys: Int, in workspace: Workspace) throws(SeekError) {
        guard liveKeys < workspace.maxKeys else {
            throw SeekError(
                .conflict,
                "A workspace on the \(workspace.plan.name) plan holds at most \(workspace.maxKeys) API keys: revoke one before creating another."
            )
        }
    }

    /// A workspace keeps at least one live key, so it can never lock itself out.
    public static func checkRevocable(liveKeys: Int) throws(SeekError) {
        guard liveKeys > 1 else {
            throw SeekError(.conflict, "A workspace keeps at least one API key: create another before revoking this one.")
        }
    }
}

/// Who a request is: the workspace and key an `X-Api-Key` belongs to, with what the key may do.
public struct APIKeyIdentity: Sendable, Equatable {
    public var workspaceID: String
    public var keyID: String
    public var lastUsedAt: Date?
    public var scope: KeyScope
    /// The workspace's limit, applied to each of its keys separately.
    public var rateLimit: RateLimit
    /// Whether the workspace's plan grants credits each month (checked on its first request of a month).
    public var hasMonthlyGrant: Bool

    public init(workspaceID: String, keyID: String, lastUsedAt: Date?, scope: KeyScope, plan: Plan, customRateLimit: RateLimit?) {
        self.workspaceID = workspaceID
        self.keyID = keyID
        self.lastUsedAt = lastUsedAt
        self.scope = scope
        self.rateLimit = plan.rateLimit(custom: customRateLimit)
        self.hasMonthlyGrant = plan.monthlyGrant > 0
    }
}

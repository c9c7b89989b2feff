import Foundation
import Logging
import PostgresNIO
import SeekCore

extension PostgresStore: UserStore {
    public func createUser(
        email: String,
        passwordHash: String,
        workspace: NewWorkspace
    ) async throws -> (user: DashboardUser, created: CreatedWorkspace) {
        let request = try workspace.validated()
        let now = Date.storeNow()
        let logger = logger
        return try await write { db in
            let user = try await Self.insertUser(email: email, passwordHash: passwordHash, at: now, on: db, logger: logger)
            let created = try await Self.insertWorkspace(request, at: now, on: db, logger: logger)
            try await Self.insertMembership(userID: user.id, workspaceID: created.workspace.id, role: .owner, at: now, on: db, logger: logger)
            return UserAndWorkspace(user: user, created: created)
        }.pair
    }

    /// What `createUser` returns, as one Sendable value.
    private struct UserAndWorkspace: Sendable {
        let user: DashboardUser
        let created: CreatedWorkspace
        var pair: (user: DashboardUser, created: CreatedWorkspace) { (user, created) }
    }

    public func createUser(email: String, passwordHash: String, joining workspaceID: String, role: MemberRole) async throws -> DashboardUser {
        let now = Date.storeNow()
        let logger = logger
        return try await write { db in
            guard try await Self.fetchWorkspace(id: workspaceID, on: db, logger: logger) != nil else {
                throw SeekError.notFound("Workspace \(workspaceID)")
            }
            let user = try await Self.insertUser(email: email, passwordHash: passwordHash, at: now, on: db, logger: logger)
            try await Self.insertMembership(userID: user.id, workspaceID: workspaceID, role: role, at: now, on: db, logger: logger)
            return user
        }
    }

    public func addMembership(email: String, workspaceID: String, role: MemberRole) async throws -> DashboardUser {
        let email = try AccountRules.normalizedEmail(email)
        let now = Date.storeNow()
        let logger = logger
        return try await write { db in
            guard let user = try await db.first("SELECT * FROM users WHERE email = \(email)", logger: logger).map(StoredShapes.user) else {
                throw SeekError.notFound("A user with the email \(email)")
            }
            guard try await Self.fetchWorkspace(id: workspaceID, on: db, logger: logger) != nil else {
                throw SeekError.notFound("Workspace \(workspaceID)")
            }
            try await db.run(
                """
                INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES (\(user.id), \(workspaceID), \(role.rawValue), \(now.storedMillis))
                ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = excluded.role
                """,
                logger: logger
            )
            return user
        }
    }

    private static func insertUser(
        email: String,
        passwordHash: String,
        at now: Date,
        on db: PostgresConnection,
        logger: Logger
    ) async throws -> DashboardUser {
        let email = try AccountRules.normalizedEmail(email)
        let user = DashboardUser(id: IDKind.usr.make(now: now), email: email, createdAt: now)
        // The email's unique index decides between two sign-ups at once on any nodes.
        let inserted = try await db.run(
            """
            INSERT INTO users (id, email, password_hash, created_at) VALUES (\(user.id), \(user.email), \(passwordHash), \(now.storedMillis))
            ON CONFLICT (email) DO NOTHING RETURNING 1
            """,
            logger: logger
        )
        guard inserted == 1 else { throw SeekError(.conflict, "An account with this email address exists: sign in instead.") }
        return user
    }

    private static func insertMembership(
        userID: String,
        workspaceID: String,
        role: MemberRole,
        at now: Date,
        on db: PostgresConnection,
        logger: Logger
    ) async throws {
        try await db.run(
            """
            INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES (\(userID), \(workspaceID), \(role.rawValue), \(now.storedMillis))
            """,
            logger: logger
        )
    }

    public func user(email: String) async throws -> (user: DashboardUser, passwordHash: String)? {
        guard let email = try? AccountRules.normalizedEmail(email) else { return nil }
        let logger = logger
        let found = try await read { db -> UserAndHash? in
            guard let row = try await db.first("SELECT * FROM users WHERE email = \(email)", logger: logger) else { return nil }
            return UserAndHash(user: try StoredShapes.user(row), passwordHash: try row.string("password_hash"))
        }
        return found.map { ($0.user, $0.passwordHash) }
    }

    private struct UserAndHash: Sendable {
        let user: DashboardUser
        let passwordHash: String
    }

    public func user(id: String) async throws -> DashboardUser? {
        let logger = logger
        return try await read { db in try await db.first("SELECT * FROM users WHERE id = \(id)", logger: logger).map(StoredShapes.user) }
    }

    public func memberships(userID: String) async throws -> [Membership] {
        let logger = logger
        return try await read { db in
            try await db.all(
                """
                SELECT m.workspace_id, m.role, w.name FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
                WHERE m.user_id = \(userID) ORDER BY m.created_at, m.workspace_id
                """,
                logger: logger
            ).map(StoredShapes.membership)
        }
    }

    public func createSession(_ session: DashboardSession) async throws {
        let logger = logger
        try await write { db in
            // Expired sessions go as new ones come: no sweeper needed.
            try await db.run("DELETE FROM sessions WHERE expires_at <= \(session.createdAt.storedMillis)", logger: logger)
            try await db.run(
                """
                INSERT INTO sessions (token_hash, user_id, workspace_id, created_at, expires_at)
                VALUES (\(session.tokenHash), \(session.userID), \(session.workspaceID), \(session.createdAt.storedMillis),
                        \(session.expiresAt.storedMillis))
                """,
                logger: logger
            )
        }
    }

    public func session(tokenHash: String, now: Date) async throws -> DashboardSession? {
        let logger = logger
        return try await read { db in
            // The membership must still hold: a member removed from a workspace loses it at once.
            try await db.first(
                """
                SELECT s.* FROM sessions s JOIN memberships m ON m.user_id = s.user_id AND m.workspace_id = s.workspace_id
                WHERE s.token_hash = \(tokenHash) AND s.expires_at > \(now.storedMillis)
                """,
                logger: logger
            ).map { try StoredShapes.session($0, now: now) }
        }
    }

    public func switchSession(tokenHash: String, to workspaceID: String) async throws -> Bool {
        let logger = logger
        return try await write { db in
            try await db.run(
                """
                UPDATE sessions SET workspace_id = \(workspaceID) WHERE token_hash = \(tokenHash)
                AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = sessions.user_id AND m.workspace_id = \(workspaceID))
                RETURNING 1
                """,
                logger: logger
            ) == 1
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        let logger = logger
        try await write { db in try await db.run("DELETE FROM sessions WHERE token_hash = \(tokenHash)", logger: logger) }
    }
}

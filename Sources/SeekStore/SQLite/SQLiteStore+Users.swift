import Foundation
import GRDB
import SeekCore

extension SQLiteStore: UserStore {
    public func createUser(
        email: String,
        passwordHash: String,
        workspace: NewWorkspace
    ) async throws -> (user: DashboardUser, created: CreatedWorkspace) {
        let request = try workspace.validated()
        let now = Date.storeNow()
        return try await writer.write { db in
            let user = try Self.insertUser(email: email, passwordHash: passwordHash, at: now, in: db)
            let created = try Self.insertWorkspace(request, at: now, in: db)
            try Self.insertMembership(userID: user.id, workspaceID: created.workspace.id, role: .owner, at: now, in: db)
            return (user, created)
        }
    }

    public func createUser(email: String, passwordHash: String, joining workspaceID: String, role: MemberRole) async throws -> DashboardUser {
        let now = Date.storeNow()
        return try await writer.write { db in
            guard try Self.fetchWorkspace(id: workspaceID, in: db) != nil else { throw SeekError.notFound("Workspace \(workspaceID)") }
            let user = try Self.insertUser(email: email, passwordHash: passwordHash, at: now, in: db)
            try Self.insertMembership(userID: user.id, workspaceID: workspaceID, role: role, at: now, in: db)
            return user
        }
    }

    public func addMembership(email: String, workspaceID: String, role: MemberRole) async throws -> DashboardUser {
        let email = try AccountRules.normalizedEmail(email)
        let now = Date.storeNow()
        return try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email]) else {
                throw SeekError.notFound("A user with the email \(email)")
            }
            guard try Self.fetchWorkspace(id: workspaceID, in: db) != nil else { throw SeekError.notFound("Workspace \(workspaceID)") }
            let user = try StoredShapes.user(row)
            try db.execute(
                sql: """
                    INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = excluded.role
                    """,
                arguments: [user.id, workspaceID, role.rawValue, now.storedMillis]
            )
            return user
        }
    }

    private static func insertUser(email: String, passwordHash: String, at now: Date, in db: Database) throws -> DashboardUser {
        let email = try AccountRules.normalizedEmail(email)
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE email = ?", arguments: [email]) != true else {
            throw SeekError(.conflict, "An account with this email address exists: sign in instead.")
        }
        let user = DashboardUser(id: IDKind.usr.make(now: now), email: email, createdAt: now)
        try db.execute(
            sql: "INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)",
            arguments: [user.id, user.email, passwordHash, now.storedMillis]
        )
        return user
    }

    private static func insertMembership(userID: String, workspaceID: String, role: MemberRole, at now: Date, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES (?, ?, ?, ?)",
            arguments: [userID, workspaceID, role.rawValue, now.storedMillis]
        )
    }

    public func user(email: String) async throws -> (user: DashboardUser, passwordHash: String)? {
        guard let email = try? AccountRules.normalizedEmail(email) else { return nil }
        return try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email]) else { return nil }
            return (try StoredShapes.user(row), try row.string("password_hash"))
        }
    }

    public func user(id: String) async throws -> DashboardUser? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]).map(StoredShapes.user) }
    }

    public func memberships(userID: String) async throws -> [Membership] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.workspace_id, m.role, w.name FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
                    WHERE m.user_id = ? ORDER BY m.created_at, m.workspace_id
                    """,
                arguments: [userID]
            ).map(StoredShapes.membership)
        }
    }

    public func createSession(_ session: DashboardSession) async throws {
        try await writer.write { db in
            // Expired sessions go as new ones come: no sweeper needed.
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [session.createdAt.storedMillis])
            try db.execute(
                sql: "INSERT INTO sessions (token_hash, user_id, workspace_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    session.tokenHash, session.userID, session.workspaceID, session.createdAt.storedMillis, session.expiresAt.storedMillis,
                ]
            )
        }
    }

    public func session(tokenHash: String, now: Date) async throws -> DashboardSession? {
        try await read { db in
            // The membership must still hold: a member removed from a workspace loses it at once.
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT s.* FROM sessions s JOIN memberships m ON m.user_id = s.user_id AND m.workspace_id = s.workspace_id
                        WHERE s.token_hash = ? AND s.expires_at > ?
                        """,
                    arguments: [tokenHash, now.storedMillis]
                )
            else { return nil }
            return try StoredShapes.session(row, now: now)
        }
    }

    public func switchSession(tokenHash: String, to workspaceID: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE sessions SET workspace_id = ? WHERE token_hash = ?
                    AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = sessions.user_id AND m.workspace_id = ?)
                    """,
                arguments: [workspaceID, tokenHash, workspaceID]
            )
            return db.changesCount == 1
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash]) }
    }
}

import Foundation
import SeekCore

/// Dashboard users, their memberships in workspaces, and their sessions. Passwords arrive hashed (bcrypt,
/// in SeekHTTP); session tokens arrive as their hashes.
public protocol UserStore: Sendable {
    /// Creates a user that owns a new workspace (`NewWorkspace`'s rules), in one transaction; 409 if the email
    /// is taken. Returns the workspace's first API key, which the sign-up page shows once.
    func createUser(email: String, passwordHash: String, workspace: NewWorkspace) async throws -> (user: DashboardUser, created: CreatedWorkspace)
    /// Creates a user that joins an existing workspace; 409 if the email is taken, 404 if the workspace is unknown.
    func createUser(email: String, passwordHash: String, joining workspaceID: String, role: MemberRole) async throws -> DashboardUser
    /// Makes an existing user a member of another workspace (or changes its role there); 404 if either is unknown.
    func addMembership(email: String, workspaceID: String, role: MemberRole) async throws -> DashboardUser
    /// The user with this (normalized) email and its password hash.
    func user(email: String) async throws -> (user: DashboardUser, passwordHash: String)?
    func user(id: String) async throws -> DashboardUser?
    /// The workspaces a user belongs to, oldest membership first.
    func memberships(userID: String) async throws -> [Membership]
    func createSession(_ session: DashboardSession) async throws
    /// The session with this token hash if it has not expired at `now`.
    func session(tokenHash: String, now: Date) async throws -> DashboardSession?
    /// Points a session at another workspace of its user; false if the user is not a member of it.
    func switchSession(tokenHash: String, to workspaceID: String) async throws -> Bool
    func deleteSession(tokenHash: String) async throws
}

import Foundation
import SeekCore

/// Workspaces and their API keys. The rules (names, plan allowances, the last key) live in SeekCore;
/// an implementation applies them inside its transactions.
public protocol WorkspaceStore: Sendable {
    func createWorkspace(_ request: NewWorkspace) async throws -> CreatedWorkspace
    func workspace(id: String) async throws -> Workspace?
    /// Moves a workspace to another plan, or sets its own rate limit or credit line where its plan allows
    /// (`Workspace.applying`). Moves the credentials epoch.
    func updateWorkspace(id: String, _ change: WorkspaceChange) async throws -> Workspace
    /// The identity behind a key's hash, if the key exists and is not revoked, read from storage (no cache:
    /// `APIKeyResolver` caches).
    func identity(forKeyHash hash: String) async throws -> APIKeyIdentity?
    /// A number that moves whenever a key is revoked or a workspace's limits change, in any process sharing
    /// the storage: caches of identities compare it to know when to forget.
    func credentialsEpoch() async throws -> Int64
    func keys(workspaceID: String) async throws -> [APIKeyRecord]
    /// The hashes of every key made at or after `since`, revoked ones included, with when each was made:
    /// what `KeyHashFilter` learns from.
    func keyHashes(createdSince since: Date) async throws -> [(hash: String, createdAt: Date)]
    /// Creates a key and returns it with the secret, which is not stored.
    func createKey(workspaceID: String, name: String, scope: KeyScope) async throws -> (record: APIKeyRecord, key: String)
    /// Revokes a key; a workspace keeps at least one (409). Moves the credentials epoch.
    func revokeKey(workspaceID: String, keyID: String) async throws -> APIKeyRecord
    func recordKeyUse(keyID: String, at: Date) async throws
    /// The workspace's webhook signing secrets (made on first use if the workspace predates them).
    func webhookSecrets(workspaceID: String) async throws -> WebhookSecrets
    /// Replaces the current secret; the previous one keeps signing for `WebhookSecrets.overlap`.
    func rotateWebhookSecret(workspaceID: String) async throws -> WebhookSecrets
    /// A secret of the whole server (such as the key that signs file URLs), 32 random bytes made on first use
    /// and the same for every process sharing the storage.
    func serverSecret(named name: String) async throws -> [UInt8]
}

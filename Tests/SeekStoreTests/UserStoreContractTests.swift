import Foundation
import SeekTestSupport
import Testing

@testable import SeekCore
@testable import SeekStore

@Suite("Store contract: dashboard users, memberships and sessions")
struct UserStoreContractTests {
    @Test("a user is made with its workspace or into one; emails are unique whatever their case", arguments: StoreKind.available)
    func users(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let (ada, created) = try await store.createUser(
            email: "ada@example.com",
            passwordHash: "hash-a",
            workspace: NewWorkspace(name: "Ada's lab", plan: .free)
        )
        #expect(created.workspace.plan == .free && created.apiKey.hasPrefix("sk_live_"))
        #expect(try await store.identity(forKeyHash: Secrets.hashAPIKey(created.apiKey))?.workspaceID == created.workspace.id)
        #expect(
            try await store.memberships(userID: ada.id) == [Membership(workspaceID: created.workspace.id, workspaceName: "Ada's lab", role: .owner)]
        )
        await expectSeekError(.conflict, "the same email, other case") {
            _ = try await store.createUser(email: "ADA@example.com", passwordHash: "x", workspace: NewWorkspace(name: "again", plan: .free))
        }
        #expect(try await store.user(email: " Ada@Example.COM ")?.passwordHash == "hash-a")

        let other = try await fixture.workspace(credits: 0)
        let bob = try await store.createUser(email: "bob@example.com", passwordHash: "hash-b", joining: other, role: .member)
        #expect(try await store.memberships(userID: bob.id).map(\.role) == [.member])
        await expectSeekError(.notFound, "an unknown workspace") {
            _ = try await store.createUser(email: "carol@example.com", passwordHash: "x", joining: "ws_01J0000000000000000000000", role: .member)
        }
        #expect(try await store.user(email: "carol@example.com") == nil, "a refused user is not half made")

        _ = try await store.addMembership(email: "bob@example.com", workspaceID: created.workspace.id, role: .member)
        _ = try await store.addMembership(email: "bob@example.com", workspaceID: created.workspace.id, role: .owner)
        #expect(try await store.memberships(userID: bob.id).map(\.role) == [.member, .owner], "a second add changes the role")
        #expect(try await fixture.another().user(id: bob.id)?.email == "bob@example.com", "what one process wrote, another reads")
    }

    @Test("sessions are found by their token's hash until they expire, switch only to the user's workspaces, and end", arguments: StoreKind.available)
    func sessions(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let (ada, created) = try await store.createUser(
            email: "ada@example.com",
            passwordHash: "h",
            workspace: NewWorkspace(name: "lab", plan: .free)
        )
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let (session, token) = DashboardSession.start(userID: ada.id, workspaceID: created.workspace.id, now: now)
        #expect(session.tokenHash == Secrets.hashAPIKey(token) && session.tokenHash != token, "only the hash is stored")
        try await store.createSession(session)
        #expect(try await store.session(tokenHash: session.tokenHash, now: now.addingTimeInterval(60))?.userID == ada.id)
        #expect(try await store.session(tokenHash: session.tokenHash, now: session.expiresAt) == nil, "expired")
        #expect(try await store.session(tokenHash: Secrets.hashAPIKey("guess"), now: now) == nil)

        let foreign = try await fixture.workspace(credits: 0)
        #expect(try await store.switchSession(tokenHash: session.tokenHash, to: foreign) == false, "not a member")
        _ = try await store.addMembership(email: "ada@example.com", workspaceID: foreign, role: .member)
        #expect(try await store.switchSession(tokenHash: session.tokenHash, to: foreign))
        #expect(try await store.session(tokenHash: session.tokenHash, now: now)?.workspaceID == foreign)

        try await store.deleteSession(tokenHash: session.tokenHash)
        #expect(try await store.session(tokenHash: session.tokenHash, now: now) == nil, "logged out")
    }
}

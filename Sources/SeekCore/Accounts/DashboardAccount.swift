import Foundation

/// A person who signs in to the dashboard. Workspaces are what the API knows; a user reaches one or more of
/// them through memberships.
public struct DashboardUser: Sendable, Equatable {
    public var id: String
    public var email: String
    public var createdAt: Date

    public init(id: String, email: String, createdAt: Date) {
        self.id = id
        self.email = email
        self.createdAt = createdAt
    }
}

/// What a member may do in a workspace. Owners and members both use the workspace fully; only an owner's
/// membership is made with the workspace.
public enum MemberRole: String, Sendable, CaseIterable {
    case owner, member
}

/// A user's place in one workspace.
public struct Membership: Sendable, Equatable {
    public var workspaceID: String
    public var workspaceName: String
    public var role: MemberRole

    public init(workspaceID: String, workspaceName: String, role: MemberRole) {
        self.workspaceID = workspaceID
        self.workspaceName = workspaceName
        self.role = role
    }
}

/// A signed-in browser: the user, the workspace it is looking at, and until when.
public struct DashboardSession: Sendable, Equatable {
    /// How long a session lasts after sign-in, used or not.
    public static let lifetime: TimeInterval = 7 * 24 * 3600

    public var tokenHash: String
    public var userID: String
    public var workspaceID: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(tokenHash: String, userID: String, workspaceID: String, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.workspaceID = workspaceID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// A new session for `userID` in `workspaceID`, and the token its cookie carries (only its hash is stored).
    public static func start(userID: String, workspaceID: String, now: Date) -> (session: DashboardSession, token: String) {
        let token = Secrets.makeSessionToken()
        let session = DashboardSession(
            tokenHash: Secrets.hashAPIKey(token),
            userID: userID,
            workspaceID: workspaceID,
            createdAt: now,
            expiresAt: now.addingTimeInterval(lifetime)
        )
        return (session, token)
    }
}

/// The rules of dashboard accounts, for every store to apply alike.
public enum AccountRules {
    /// bcrypt reads only the first 72 bytes of a password: a longer one is refused rather than cut silently.
    public static let passwordBytes = 8...72
    /// Passwords are hashed at this bcrypt cost (2^12 rounds) or more.
    public static let bcryptCost: UInt8 = 12

    /// The address trimmed and lower-cased, if it is shaped like one (`local@domain.tld`, at most 254 bytes).
    public static func normalizedEmail(_ text: String) throws(SeekError) -> String {
        let email = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace)
        else {
            throw SeekError(.badRequest, "Enter an email address such as you@example.com.")
        }
        return email
    }

    public static func checkPassword(_ password: String) throws(SeekError) {
        guard passwordBytes.contains(password.utf8.count) else {
            throw SeekError(
                .badRequest,
                "A password has \(passwordBytes.lowerBound) to \(passwordBytes.upperBound) bytes (bcrypt reads no more than \(passwordBytes.upperBound))."
            )
        }
    }
}

import Foundation

/// A runner token as lists show it: never the token itself, which is shown once and stored hashed.
public struct RunnerTokenRecord: Sendable, Equatable {
    public var id: String
    public var workerID: String
    public var workspaceID: String
    /// The token's first characters, to tell tokens apart.
    public var prefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: String,
        workerID: String,
        workspaceID: String,
        prefix: String,
        createdAt: Date,
        lastUsedAt: Date? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.workerID = workerID
        self.workspaceID = workspaceID
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// Who calls the runner API with a live token: runners of one worker, of the workspace that owns it.
public struct RunnerIdentity: Sendable, Equatable {
    public var tokenID: String
    public var workerID: String
    public var workspaceID: String

    public init(tokenID: String, workerID: String, workspaceID: String) {
        self.tokenID = tokenID
        self.workerID = workerID
        self.workspaceID = workspaceID
    }

    /// The claimant a runner process holds its leases as: its token and the id it names itself by, so that
    /// two runners of one token never finish each other's jobs.
    public func claimant(runnerID: String) -> String { "runner:\(tokenID):\(runnerID)" }

    /// A runner names itself with up to 64 letters, digits, `-`, `_` or `.`.
    public static func isValidRunnerID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                    || byte == UInt8(ascii: ".")
            }
    }
}

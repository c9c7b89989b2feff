import Foundation

/// A tenant: its plan, its credits and what its plan lets it set for itself.
public struct Workspace: Sendable, Equatable {
    public var id: String
    public var name: String
    public var plan: Plan
    public var credits: CreditBalance
    /// Set per workspace on a plan that allows it; otherwise the plan's.
    public var customRateLimit: RateLimit?
    /// How far below zero available credits may go (a plan that allows a credit line only).
    public var creditLine: Int
    /// Jobs running at once, set per workspace on a plan that allows it; otherwise the plan's.
    public var customConcurrency: Int?
    /// Live API keys at most, set per workspace on a plan that allows it; otherwise the plan's.
    public var customMaxKeys: Int?
    public var createdAt: Date

    public init(
        id: String,
        name: String,
        plan: Plan,
        credits: CreditBalance,
        customRateLimit: RateLimit?,
        creditLine: Int,
        customConcurrency: Int? = nil,
        customMaxKeys: Int? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.plan = plan
        self.credits = credits
        self.customRateLimit = customRateLimit
        self.creditLine = creditLine
        self.customConcurrency = customConcurrency
        self.customMaxKeys = customMaxKeys
        self.createdAt = createdAt
    }

    /// The limit every key of the workspace gets.
    public var rateLimit: RateLimit { plan.rateLimit(custom: customRateLimit) }

    /// How many of the workspace's jobs may run at once; more wait `queued`.
    public var concurrency: Int { plan.concurrency(custom: customConcurrency) }

    /// How many live API keys the workspace may hold.
    public var maxKeys: Int { plan.allowsCustomRateLimit ? customMaxKeys ?? plan.maxKeys : plan.maxKeys }

    /// The workspace after `change`, refused where its plan does not allow it. A plan without an allowance
    /// drops what the allowance gave, so limits and credit lines always match the plan.
    public func applying(_ change: WorkspaceChange) throws(SeekError) -> Workspace {
        var workspace = self
        if let plan = change.plan { workspace.plan = plan }
        if let limit = change.rateLimit {
            guard workspace.plan.allowsCustomRateLimit else {
                throw SeekError(
                    .badRequest,
                    "The \(workspace.plan.name) plan has fixed rate limits; only a plan that allows custom limits (enterprise) takes --rate and --burst."
                )
            }
            guard RateLimit.bounds.contains(limit.perSecond), RateLimit.bounds.contains(limit.burst) else {
                throw SeekError(.badRequest, "--rate and --burst are 1 to \(RateLimit.bounds.upperBound).")
            }
            workspace.customRateLimit = limit
        }
        if let line = change.creditLine {
            guard CreditAddition.bounds.contains(line) || line == 0 else {
                throw SeekError(.badRequest, "A credit line is 0 to \(CreditAddition.bounds.upperBound) credits.")
            }
            guard line == 0 || workspace.plan.allowsCreditLine else {
                throw SeekError(.badRequest, "The \(workspace.plan.name) plan does not allow a credit line.")
            }
            workspace.creditLine = line
        }
        if let concurrency = change.concurrency {
            workspace.customConcurrency = try Self.ownLimit(
                concurrency,
                flag: "--concurrency",
                what: "concurrency",
                bounds: Plan.concurrencyBounds,
                plan: workspace.plan
            )
        }
        if let maxKeys = change.maxKeys {
            workspace.customMaxKeys = try Self.ownLimit(
                maxKeys,
                flag: "--max-keys",
                what: "key cap",
                bounds: Plan.maxKeysBounds,
                plan: workspace.plan
            )
        }
        if !workspace.plan.allowsCustomRateLimit {
            workspace.customRateLimit = nil
            workspace.customConcurrency = nil
            workspace.customMaxKeys = nil
        }
        if !workspace.plan.allowsCreditLine { workspace.creditLine = 0 }
        return workspace
    }

    /// A limit the workspace sets for itself: only where its plan allows limits of its own, and within `bounds`.
    private static func ownLimit(_ value: Int, flag: String, what: String, bounds: ClosedRange<Int>, plan: Plan) throws(SeekError) -> Int {
        guard plan.allowsCustomRateLimit else {
            throw SeekError(.badRequest, "The \(plan.name) plan has a fixed \(what); only enterprise takes \(flag).")
        }
        guard bounds.contains(value) else { throw SeekError(.badRequest, "\(flag) is \(bounds.lowerBound) to \(bounds.upperBound).") }
        return value
    }
}

extension Plan {
    /// The limit a workspace's keys get: its own where the plan allows one, otherwise the plan's.
    public func rateLimit(custom: RateLimit?) -> RateLimit {
        guard allowsCustomRateLimit, let custom else { return rateLimit }
        return custom
    }

    /// A workspace's running-jobs limit: its own where the plan allows limits of its own, else the plan's.
    public func concurrency(custom: Int?) -> Int {
        guard allowsCustomRateLimit, let custom else { return concurrency }
        return custom
    }
}

/// What `seek admin workspace update` changes; nil leaves a setting as it is.
public struct WorkspaceChange: Sendable {
    public var plan: Plan?
    public var rateLimit: RateLimit?
    public var creditLine: Int?
    public var concurrency: Int?
    public var maxKeys: Int?

    public init(plan: Plan? = nil, rateLimit: RateLimit? = nil, creditLine: Int? = nil, concurrency: Int? = nil, maxKeys: Int? = nil) {
        self.plan = plan
        self.rateLimit = rateLimit
        self.creditLine = creditLine
        self.concurrency = concurrency
        self.maxKeys = maxKeys
    }
}

/// What `seek admin workspace create` asks for.
public struct NewWorkspace: Sendable {
    public var name: String
    public var plan: Plan
    /// Starting balance in place of the plan's first grant.
    public var startingCredits: Int?

    public init(name: String, plan: Plan, startingCredits: Int? = nil) {
        self.name = name
        self.plan = plan
        self.startingCredits = startingCredits
    }

    /// The request with its name trimmed, refused if the name or the credits are out of bounds.
    public func validated() throws(SeekError) -> NewWorkspace {
        var checked = self
        checked.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        // Bytes, not characters: one character may be any number of combining scalars.
        guard !checked.name.isEmpty, checked.name.utf8.count <= 200 else { throw SeekError(.badRequest, "A workspace name is 1 to 200 bytes.") }
        if let credits = startingCredits, !(0...CreditAddition.bounds.upperBound).contains(credits) {
            throw SeekError(.badRequest, "Starting credits are 0 to \(CreditAddition.bounds.upperBound).")
        }
        return checked
    }

    /// The credits the workspace starts with: the starting balance asked for, else the plan's grant.
    public var firstCredits: Int { startingCredits ?? plan.monthlyGrant }
}

/// A new workspace and its first key, shown once.
public struct CreatedWorkspace: Sendable {
    public var workspace: Workspace
    public var apiKey: String

    public init(workspace: Workspace, apiKey: String) {
        self.workspace = workspace
        self.apiKey = apiKey
    }
}

/// Credits added from outside the job flow: a monthly grant or a top-up.
public enum CreditAddition {
    /// One addition, a starting balance or a credit line: at most a trillion credits, far from where sums of
    /// them could overflow 64 bits.
    public static let bounds = 1...1_000_000_000_000

    public static func validate(type: LedgerEntryType, amount: Int) throws(SeekError) {
        guard type == .grant || type == .topup else { throw SeekError(.badRequest, "Only grant and topup entries add credits.") }
        guard bounds.contains(amount) else { throw SeekError(.badRequest, "The amount is 1 to \(bounds.upperBound) credits.") }
    }
}

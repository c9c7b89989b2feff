import Foundation
import SeekCore

/// The credits ledger: the only source of truth for a workspace's credits.
public protocol LedgerStore: Sendable {
    /// Adds credits (`grant` or `topup`, `CreditAddition`) and returns the new balance.
    func addCredits(workspaceID: String, type: LedgerEntryType, amount: Int) async throws -> CreditBalance
    /// Newest first, as the filter says.
    func ledger(workspaceID: String, filter: LedgerFilter) async throws -> Page<LedgerEntry>
    /// Opens `month` for a workspace whose plan grants credits: expires the unused rest of the last grant
    /// and grants the new one (`MonthlyGrant`), once per month however many requests ask at once. False if
    /// already open.
    func openMonth(workspaceID: String, month: UTCMonth, at date: Date) async throws -> Bool
    /// What the workspace spent in `month`, per worker and per day.
    func usage(workspaceID: String, month: UTCMonth) async throws -> UsageReport
    /// The sum of the ledger, computed from the entries (not a cached balance): for audits and tests.
    func ledgerSum(workspaceID: String) async throws -> CreditBalance
}

/// Which ledger entries to list: newest first, after the entry `cursor`, optionally within a time
/// range (`from` inclusive, `to` exclusive) and of some types only.
public struct LedgerFilter: Sendable {
    public var cursor: String?
    public var limit: Int
    public var from: Date?
    public var to: Date?
    public var types: Set<LedgerEntryType>

    public init(cursor: String? = nil, limit: Int = 50, from: Date? = nil, to: Date? = nil, types: Set<LedgerEntryType> = []) {
        self.cursor = cursor
        self.limit = limit
        self.from = from
        self.to = to
        self.types = types
    }
}

public struct LedgerEntry: Sendable, Equatable {
    public var id: String
    public var type: LedgerEntryType
    public var amount: Int
    public var balanceAfter: Int
    public var reservedAfter: Int
    public var jobID: String?
    public var workerID: String?
    public var createdAt: Date
}

/// A month's spending: credits charged and jobs charged, per worker and per day (UTC).
public struct UsageReport: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        /// A worker id or a `YYYY-MM-DD` day.
        public var key: String
        public var credits: Int
        public var jobs: Int
    }

    /// Spending (charges) or income (earnings) of one month, in total, per worker and per day.
    public struct Totals: Sendable, Equatable {
        public var credits: Int
        public var jobs: Int
        public var byWorker: [Line]
        public var byDay: [Line]

        public init(credits: Int = 0, jobs: Int = 0, byWorker: [Line] = [], byDay: [Line] = []) {
            self.credits = credits
            self.jobs = jobs
            self.byWorker = byWorker
            self.byDay = byDay
        }
    }

    public var month: UTCMonth
    /// What the workspace was charged for its jobs.
    public var spent: Totals
    /// What the workspace's published workers earned from other workspaces' jobs.
    public var earned: Totals
}

/// One page of a newest-first list, and the cursor for the next.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?
    public var hasMore: Bool { nextCursor != nil }
}

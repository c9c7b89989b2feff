import Foundation
import Logging
import PostgresNIO
import SeekCore

extension PostgresStore: LedgerStore {
    /// Posts one immutable ledger entry and moves the workspace's cached balance with it, in the caller's
    /// transaction. The workspace's row stays locked until the transaction ends, so that concurrent posts to
    /// one workspace on any nodes apply one after another. Every credit that moves in Seek moves through here.
    @discardableResult
    static func post(
        _ type: LedgerEntryType,
        _ amount: Int,
        workspaceID: String,
        jobID: String? = nil,
        workerID: String? = nil,
        at now: Date,
        on db: PostgresConnection,
        logger: Logger
    ) async throws -> CreditBalance? {
        try await post([(type, amount)], workspaceID: workspaceID, jobID: jobID, workerID: workerID, at: now, on: db, logger: logger)
    }

    /// Posts entries in order, in the caller's transaction (`LedgerTab` says when the rows are written). The
    /// lock is `NO KEY UPDATE`: the caller's inserts that reference the workspace (a job, an entry) hold its
    /// key-share lock, which a plain `FOR UPDATE` would have to upgrade, deadlocking with every other writer
    /// doing the same. Returns the balance after the entries; nil in a deferred batch, which learns it at its end.
    @discardableResult
    static func post(
        _ entries: [(LedgerEntryType, Int)],
        workspaceID: String,
        jobID: String? = nil,
        workerID: String? = nil,
        at now: Date,
        on db: PostgresConnection,
        logger: Logger
    ) async throws -> CreditBalance? {
        let noted = entries.map { type, amount in
            LedgerTab.Entry(
                id: IDKind.txn.make(now: now),
                workspaceID: workspaceID,
                type: type,
                amount: amount,
                jobID: jobID,
                workerID: workerID,
                at: now
            )
        }
        let tab = LedgerTab.tab(on: db)
        if tab?.deferred == true {
            LedgerTab.update(on: db) { $0.entries += noted }
            return nil
        }
        // The row is locked by the transaction's first post to it; later ones take the balance that one left.
        var current: LedgerTab.Balance
        if let kept = tab?.balances[workspaceID] {
            current = kept
        } else {
            current = try await lockedBalance(workspaceID: workspaceID, on: db, logger: logger)
        }
        guard !noted.isEmpty else { return current.balance }
        var rows: [RowInsert] = []
        for entry in noted {
            current.balance = try current.balance.applying(entry.type, entry.amount, creditLine: current.creditLine)
            rows.append(entry.row(after: current.balance))
        }
        try await RowInsert.insert(rows, on: db, logger: logger)
        if tab != nil {
            LedgerTab.update(on: db) { [current] in $0.balances[workspaceID] = current }
        } else {
            try await db.run(
                "UPDATE workspaces SET balance = \(current.balance.balance), reserved = \(current.balance.reserved) WHERE id = \(workspaceID)",
                logger: logger
            )
        }
        return current.balance
    }

    private static func lockedBalance(workspaceID: String, on db: PostgresConnection, logger: Logger) async throws -> LedgerTab.Balance {
        guard
            let row = try await db.first(
                "SELECT balance, reserved, credit_line FROM workspaces WHERE id = \(workspaceID) FOR NO KEY UPDATE",
                logger: logger
            )
        else { throw SeekError.notFound("Workspace \(workspaceID)") }
        return LedgerTab.Balance(
            balance: CreditBalance(balance: try row.int("balance"), reserved: try row.int("reserved")),
            creditLine: try row.int("credit_line")
        )
    }

    public func addCredits(workspaceID: String, type: LedgerEntryType, amount: Int) async throws -> CreditBalance {
        try CreditAddition.validate(type: type, amount: amount)
        let logger = logger
        return try await write { db in
            // A plain write's tab is locked: the balance is known at once.
            guard let balance = try await Self.post(type, amount, workspaceID: workspaceID, at: Date.storeNow(), on: db, logger: logger) else {
                throw SeekError(.internalServerError, "The balance after the entry is not known.")
            }
            return balance
        }
    }

    public func ledger(workspaceID: String, filter: LedgerFilter) async throws -> Page<LedgerEntry> {
        let logger = logger
        let types = filter.types.map(\.rawValue).sorted()
        return try await read { db in
            let rows = try await db.all(
                """
                SELECT * FROM ledger_entries WHERE workspace_id = \(workspaceID)
                AND (\(filter.cursor)::text IS NULL
                     OR seq < (SELECT seq FROM ledger_entries WHERE id = \(filter.cursor) AND workspace_id = \(workspaceID)))
                AND (\(filter.from?.storedMillis)::bigint IS NULL OR created_at >= \(filter.from?.storedMillis))
                AND (\(filter.to?.storedMillis)::bigint IS NULL OR created_at < \(filter.to?.storedMillis))
                AND (cardinality(\(types)::text[]) = 0 OR type = ANY(\(types)))
                ORDER BY seq DESC LIMIT \(filter.limit + 1)
                """,
                logger: logger
            )
            let entries = try rows.prefix(filter.limit).map(StoredShapes.ledgerEntry)
            return Page(items: Array(entries), nextCursor: rows.count > filter.limit ? entries.last?.id : nil)
        }
    }

    public func openMonth(workspaceID: String, month: UTCMonth, at date: Date) async throws -> Bool {
        let now = Date(storedMillis: date.storedMillis)
        let logger = logger
        return try await write { db in
            guard
                let row = try await db.first(
                    "SELECT plan, granted_month, balance, reserved FROM workspaces WHERE id = \(workspaceID) FOR NO KEY UPDATE",
                    logger: logger
                )
            else { throw SeekError.notFound("Workspace \(workspaceID)") }
            // Checked under the row's lock: of many requests at the month's first moment on any nodes, exactly one opens it.
            if let granted = try row.text("granted_month").flatMap(UTCMonth.init(parsing:)), granted >= month { return false }
            let plan = Plan.named(try row.string("plan")) ?? .free
            let balance = CreditBalance(balance: try row.int("balance"), reserved: try row.int("reserved"))
            let lastGrant =
                try await db.first(
                    "SELECT amount FROM ledger_entries WHERE workspace_id = \(workspaceID) AND type = 'grant' ORDER BY seq DESC LIMIT 1",
                    logger: logger
                )?.int("amount") ?? 0
            for (type, amount) in MonthlyGrant.entries(plan: plan, balance: balance, lastGrant: lastGrant) {
                try await Self.post(type, amount, workspaceID: workspaceID, at: now, on: db, logger: logger)
            }
            try await db.run("UPDATE workspaces SET granted_month = \(month.description) WHERE id = \(workspaceID)", logger: logger)
            return true
        }
    }

    public func usage(workspaceID: String, month: UTCMonth) async throws -> UsageReport {
        let (start, end) = (month.start.storedMillis, month.next.start.storedMillis)
        let logger = logger
        return try await read { db in
            let rows = try await db.all(
                """
                SELECT type, worker_id, to_char(to_timestamp(created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                       SUM(amount)::bigint AS credits, COUNT(DISTINCT job_id) AS jobs
                FROM ledger_entries
                WHERE workspace_id = \(workspaceID) AND type IN ('charge', 'earning') AND created_at >= \(start) AND created_at < \(end)
                GROUP BY type, worker_id, day
                """,
                logger: logger
            )
            return try UsageReport(month: month, rows: rows)
        }
    }

    public func ledgerSum(workspaceID: String) async throws -> CreditBalance {
        let logger = logger
        return try await read { db in
            let row = try await db.first(
                """
                SELECT COALESCE(SUM(balance_delta), 0)::bigint AS balance, COALESCE(SUM(reserved_delta), 0)::bigint AS reserved
                FROM ledger_entries WHERE workspace_id = \(workspaceID)
                """,
                logger: logger
            )
            return CreditBalance(balance: try row?.int("balance") ?? 0, reserved: try row?.int("reserved") ?? 0)
        }
    }
}

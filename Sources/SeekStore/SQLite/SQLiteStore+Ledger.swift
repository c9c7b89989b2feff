import Foundation
import GRDB
import SeekCore

extension SQLiteStore: LedgerStore {
    /// Posts one immutable ledger entry and moves the workspace's cached balance with it, in the
    /// caller's transaction. Every credit that moves in Seek moves through here.
    @discardableResult
    static func post(
        _ type: LedgerEntryType,
        _ amount: Int,
        workspaceID: String,
        jobID: String? = nil,
        workerID: String? = nil,
        at now: Date,
        in db: Database
    ) throws -> CreditBalance {
        let (current, creditLine) = try balance(workspaceID: workspaceID, in: db)
        let next = try current.applying(type, amount, creditLine: creditLine)
        let (balanceDelta, reservedDelta) = type.effect(of: amount)
        try db.cachedStatement(sql: "UPDATE workspaces SET balance = ?, reserved = ? WHERE id = ?")
            .execute(arguments: [next.balance, next.reserved, workspaceID])
        try db.cachedStatement(
            sql: """
                INSERT INTO ledger_entries (id, workspace_id, type, amount, balance_delta, reserved_delta, balance_after, reserved_after,
                                            job_id, worker_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            IDKind.txn.make(now: now), workspaceID, type.rawValue, amount, balanceDelta, reservedDelta,
            next.balance, next.reserved, jobID, workerID, now.storedMillis,
        ])
        return next
    }

    static func balance(workspaceID: String, in db: Database) throws -> (CreditBalance, creditLine: Int) {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT balance, reserved, credit_line FROM workspaces WHERE id = ?"),
                arguments: [workspaceID]
            )
        else { throw SeekError.notFound("Workspace \(workspaceID)") }
        return (CreditBalance(balance: row["balance"], reserved: row["reserved"]), row["credit_line"])
    }

    public func addCredits(workspaceID: String, type: LedgerEntryType, amount: Int) async throws -> CreditBalance {
        try CreditAddition.validate(type: type, amount: amount)
        return try await writer.write { db in
            try Self.post(type, amount, workspaceID: workspaceID, at: Date.storeNow(), in: db)
        }
    }

    public func ledger(workspaceID: String, filter: LedgerFilter) async throws -> Page<LedgerEntry> {
        try await read { db in
            var sql = "SELECT * FROM ledger_entries WHERE workspace_id = ?"
            var arguments: StatementArguments = [workspaceID]
            if let cursor = filter.cursor {
                sql += " AND seq < (SELECT seq FROM ledger_entries WHERE id = ? AND workspace_id = ?)"
                arguments += [cursor, workspaceID]
            }
            if let from = filter.from {
                sql += " AND created_at >= ?"
                arguments += [from.storedMillis]
            }
            if let to = filter.to {
                sql += " AND created_at < ?"
                arguments += [to.storedMillis]
            }
            if !filter.types.isEmpty {
                sql += " AND type IN (\(filter.types.map { _ in "?" }.joined(separator: ", ")))"
                arguments += StatementArguments(filter.types.map(\.rawValue).sorted())
            }
            sql += " ORDER BY seq DESC LIMIT ?"
            arguments += [filter.limit + 1]
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let entries = try rows.prefix(filter.limit).map(StoredShapes.ledgerEntry)
            return Page(items: Array(entries), nextCursor: rows.count > filter.limit ? entries.last?.id : nil)
        }
    }

    public func openMonth(workspaceID: String, month: UTCMonth, at date: Date) async throws -> Bool {
        let now = Date(storedMillis: date.storedMillis)
        return try await writer.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT plan, granted_month FROM workspaces WHERE id = ?",
                    arguments: [workspaceID]
                )
            else { throw SeekError.notFound("Workspace \(workspaceID)") }
            // Checked inside the write: of many requests at the month's first moment, exactly one opens it.
            if let granted = (row["granted_month"] as String?).flatMap(UTCMonth.init(parsing:)), granted >= month { return false }
            let plan = Plan.named(row["plan"]) ?? .free
            let (balance, _) = try Self.balance(workspaceID: workspaceID, in: db)
            let lastGrant =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT amount FROM ledger_entries WHERE workspace_id = ? AND type = 'grant' ORDER BY seq DESC LIMIT 1
                        """,
                    arguments: [workspaceID]
                ) ?? 0
            for (type, amount) in MonthlyGrant.entries(plan: plan, balance: balance, lastGrant: lastGrant) {
                try Self.post(type, amount, workspaceID: workspaceID, at: now, in: db)
            }
            try db.execute(sql: "UPDATE workspaces SET granted_month = ? WHERE id = ?", arguments: [month.description, workspaceID])
            return true
        }
    }

    public func usage(workspaceID: String, month: UTCMonth) async throws -> UsageReport {
        let (start, end) = (month.start.storedMillis, month.next.start.storedMillis)
        return try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT type, worker_id, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch') AS day, SUM(amount) AS credits,
                           COUNT(DISTINCT job_id) AS jobs
                    FROM ledger_entries
                    WHERE workspace_id = ? AND type IN ('charge', 'earning') AND created_at >= ? AND created_at < ?
                    GROUP BY type, worker_id, day
                    """,
                arguments: [workspaceID, start, end]
            )
            return try UsageReport(month: month, rows: rows)
        }
    }

    public func ledgerSum(workspaceID: String) async throws -> CreditBalance {
        try await read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(balance_delta), 0) AS balance, COALESCE(SUM(reserved_delta), 0) AS reserved
                    FROM ledger_entries WHERE workspace_id = ?
                    """,
                arguments: [workspaceID]
            )!
            return CreditBalance(balance: row["balance"], reserved: row["reserved"])
        }
    }
}

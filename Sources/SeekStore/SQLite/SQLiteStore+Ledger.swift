import Foundation
import GRDB
import SeekCore

extension SQLiteStore: LedgerStore {
    /// Posts one immutable ledger entry and moves the workspace's cached balance with it, in the
    /// caller's transaction. Every credit that moves in Seek moves through here.
    @discardableResult
    static func post(_ type: LedgerEntryType, _ amount: Int, workspaceID: String, jobID: String? = nil, workerID: String? = nil,
                     at now: Date, in db: Database) throws -> CreditBalance {
        let current = try balance(workspaceID: workspaceID, in: db)
        let next = try current.applying(type, amount)
        let (balanceDelta, reservedDelta) = type.effect(of: amount)
        try db.cachedStatement(sql: "UPDATE workspaces SET balance = ?, reserved = ? WHERE id = ?")
            .execute(arguments: [next.balance, next.reserved, workspaceID])
        try db.cachedStatement(sql: """
            INSERT INTO ledger_entries (id, workspace_id, type, amount, balance_delta, reserved_delta, balance_after, reserved_after,
                                        job_id, worker_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [IDKind.txn.make(now: now), workspaceID, type.rawValue, amount, balanceDelta, reservedDelta,
                                     next.balance, next.reserved, jobID, workerID, now.storedMillis])
        return next
    }

    static func balance(workspaceID: String, in db: Database) throws -> CreditBalance {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT balance, reserved FROM workspaces WHERE id = ?"),
                                         arguments: [workspaceID])
        else { throw SeekError.notFound("Workspace \(workspaceID)") }
        return CreditBalance(balance: row["balance"], reserved: row["reserved"])
    }

    public func addCredits(workspaceID: String, type: LedgerEntryType, amount: Int) async throws -> CreditBalance {
        guard type == .grant || type == .topup else { throw SeekError(.badRequest, "Only grant and topup entries add credits.") }
        guard amount > 0 else { throw SeekError(.badRequest, "The amount must be a positive number of credits.") }
        return try await writer.write { db in
            try Self.post(type, amount, workspaceID: workspaceID, at: Date.storeNow(), in: db)
        }
    }

    public func ledger(workspaceID: String, after cursor: String?, limit: Int) async throws -> Page<LedgerEntry> {
        try await read { db in
            var sql = "SELECT * FROM ledger_entries WHERE workspace_id = ?"
            var arguments: StatementArguments = [workspaceID]
            if let cursor {
                sql += " AND seq < (SELECT seq FROM ledger_entries WHERE id = ? AND workspace_id = ?)"
                arguments += [cursor, workspaceID]
            }
            sql += " ORDER BY seq DESC LIMIT ?"
            arguments += [limit + 1]
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let entries = rows.prefix(limit).map { row in
                LedgerEntry(id: row["id"], type: LedgerEntryType(rawValue: row["type"]) ?? .grant, amount: row["amount"],
                            balanceAfter: row["balance_after"], reservedAfter: row["reserved_after"], jobID: row["job_id"],
                            workerID: row["worker_id"], createdAt: row.date("created_at") ?? Date())
            }
            return Page(items: Array(entries), nextCursor: rows.count > limit ? entries.last?.id : nil)
        }
    }

    public func ledgerSum(workspaceID: String) async throws -> CreditBalance {
        try await read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(balance_delta), 0) AS balance, COALESCE(SUM(reserved_delta), 0) AS reserved
                FROM ledger_entries WHERE workspace_id = ?
                """, arguments: [workspaceID])!
            return CreditBalance(balance: row["balance"], reserved: row["reserved"])
        }
    }
}

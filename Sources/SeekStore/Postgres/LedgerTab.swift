import Foundation
import Logging
import PostgresNIO
import SeekCore
import Synchronization

/// The ledger's side of a transaction, kept beside its connection and written just before it commits.
///
/// A workspace's balance row is locked by every job of that workspace until the commit, so it orders the
/// workspace's commits. Two modes keep that lock short:
/// - locked (every `write`): the first post locks the row and reads it; the entries are inserted as they are
///   posted; the row itself is written once, at the end, not once per entry (each write would leave a row
///   version that every later lock and foreign-key check in the transaction walks).
/// - deferred (a bare batch of submits and finishes, `PostgresBatcher`): posts only note their entries (and the
///   batch's rows that may wait, `RowInsert`, wait with them, inserted first); at the end
///   the rows are locked in one statement, in id order, the entries applied in the order posted, and the
///   entries and rows written in one more. Rows are locked for two statements and the commit, whatever the
///   batch's length. If an entry would take a workspace below what it may spend, the batch is refused whole
///   (`LedgerTab.Refused`) and runs again in the locked mode, where that one call gets its 402.
enum LedgerTab {
    struct Balance: Sendable {
        var balance: CreditBalance
        var creditLine: Int
    }

    struct Entry: Sendable {
        var id: String
        var workspaceID: String
        var type: LedgerEntryType
        var amount: Int
        var jobID: String?
        var workerID: String?
        var at: Date
    }

    struct Tab: Sendable {
        var deferred: Bool
        /// Locked mode: the balances the transaction moved.
        var balances: [String: Balance] = [:]
        /// Deferred mode: the entries, in the order posted.
        var entries: [Entry] = []
        /// Deferred mode: rows to insert at the end, before the ledger's (`RowInsert`).
        var rows: [RowInsert] = []
    }

    /// A deferred batch would refuse one of its calls: it must run call by call.
    struct Refused: Error {}

    private static let open = Mutex<[ObjectIdentifier: Tab]>([:])

    static func begin(on db: PostgresConnection, deferred: Bool) { open.withLock { $0[ObjectIdentifier(db)] = Tab(deferred: deferred) } }
    static func end(on db: PostgresConnection) { _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(db)) } }
    static func tab(on db: PostgresConnection) -> Tab? { open.withLock { $0[ObjectIdentifier(db)] } }
    static func restore(_ tab: Tab?, on db: PostgresConnection) { open.withLock { $0[ObjectIdentifier(db)] = tab } }

    static func update(on db: PostgresConnection, _ change: (inout Tab) -> Void) {
        open.withLock { tabs in
            guard var tab = tabs[ObjectIdentifier(db)] else { return }
            change(&tab)
            tabs[ObjectIdentifier(db)] = tab
        }
    }

    /// Writes what the transaction's posts left to write; called just before COMMIT.
    static func flush(on db: PostgresConnection, logger: Logger) async throws {
        guard let tab = tab(on: db) else { return }
        try await RowInsert.insert(tab.rows, on: db, logger: logger)
        var balances = tab.balances
        var entryRows: [RowInsert] = []
        if !tab.entries.isEmpty {
            let ids = Set(tab.entries.map(\.workspaceID)).sorted()
            let rows = try await db.all(
                "SELECT id, balance, reserved, credit_line FROM workspaces WHERE id = ANY(\(ids)) ORDER BY id FOR NO KEY UPDATE",
                logger: logger
            )
            for row in rows {
                balances[try row.string("id")] = Balance(
                    balance: CreditBalance(balance: try row.int("balance"), reserved: try row.int("reserved")),
                    creditLine: try row.int("credit_line")
                )
            }
            for entry in tab.entries {
                guard var current = balances[entry.workspaceID] else { throw SeekError.notFound("Workspace \(entry.workspaceID)") }
                do {
                    current.balance = try current.balance.applying(entry.type, entry.amount, creditLine: current.creditLine)
                } catch {
                    throw Refused()
                }
                balances[entry.workspaceID] = current
                entryRows.append(entry.row(after: current.balance))
            }
        }
        guard !balances.isEmpty else { return }
        // The entries and the balances they leave go in one statement: the rows stay locked one round trip less.
        var binds = PostgresBindings()
        var sql = ""
        if let first = entryRows.first {
            let values = try RowInsert.valuesList(entryRows, width: first.width, into: &binds) { row, binds in try row.bind(&binds) }
            sql = "WITH entries AS (INSERT INTO \(first.target) VALUES \(values)) "
        }
        let ids = Array(balances.keys)
        let arrays = binds.count
        try binds.append(ids)
        try binds.append(ids.map { balances[$0]!.balance.balance })
        try binds.append(ids.map { balances[$0]!.balance.reserved })
        sql += """
            UPDATE workspaces AS w SET balance = v.balance, reserved = v.reserved
            FROM unnest($\(arrays + 1)::text[], $\(arrays + 2)::bigint[], $\(arrays + 3)::bigint[]) AS v(id, balance, reserved)
            WHERE w.id = v.id
            """
        try await db.run(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }
}

extension LedgerTab.Entry {
    /// The entry's row, with the balance it leaves.
    func row(after balance: CreditBalance) -> RowInsert {
        let (balanceDelta, reservedDelta) = type.effect(of: amount)
        let entry = self
        return RowInsert(
            into: "ledger_entries",
            columns: [
                "id", "workspace_id", "type", "amount", "balance_delta", "reserved_delta", "balance_after", "reserved_after", "job_id",
                "worker_id", "created_at",
            ]
        ) { binds in
            try binds.append(entry.id)
            try binds.append(entry.workspaceID)
            try binds.append(entry.type.rawValue)
            try binds.append(entry.amount)
            try binds.append(balanceDelta)
            try binds.append(reservedDelta)
            try binds.append(balance.balance)
            try binds.append(balance.reserved)
            try binds.append(entry.jobID)
            try binds.append(entry.workerID)
            try binds.append(entry.at.storedMillis)
        }
    }
}

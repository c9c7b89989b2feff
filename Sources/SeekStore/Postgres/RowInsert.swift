import Logging
import PostgresNIO

/// One row to insert. In a bare batch (`PostgresBatcher`) it waits for the transaction's end, where each table's
/// rows go in one statement (`LedgerTab.flush`): a batch of 64 submits makes one round trip for its jobs, not 64.
/// Anywhere else it is inserted at once. Both ways run the SQL made here.
///
/// Defer only a row that nothing in the transaction reads before it ends: a job that an idempotency key names is
/// inserted at once, since a second submit with that key in the same batch reads it.
struct RowInsert: Sendable {
    /// `table (column, …)`.
    let target: String
    let width: Int
    let bind: @Sendable (inout PostgresBindings) throws -> Void

    init(into table: String, columns: [String], bind: @escaping @Sendable (inout PostgresBindings) throws -> Void) {
        target = "\(table) (\(columns.joined(separator: ", ")))"
        width = columns.count
        self.bind = bind
    }

    /// Inserts the row now, or at the transaction's end if it may wait and the transaction's ledger is deferred.
    func run(on db: PostgresConnection, deferrable: Bool = true, logger: Logger) async throws {
        if deferrable, LedgerTab.tab(on: db)?.deferred == true {
            LedgerTab.update(on: db) { $0.rows.append(self) }
        } else {
            try await Self.insert([self], on: db, logger: logger)
        }
    }

    /// Inserts rows in their order, one statement per table, tables in the order their first rows came.
    static func insert(_ rows: [RowInsert], on db: PostgresConnection, logger: Logger) async throws {
        var targets: [String] = []
        var byTarget: [String: [RowInsert]] = [:]
        for row in rows {
            if byTarget[row.target] == nil { targets.append(row.target) }
            byTarget[row.target, default: []].append(row)
        }
        for target in targets {
            let rows = byTarget[target] ?? []
            var binds = PostgresBindings()
            let values = try valuesList(rows, width: rows.first?.width ?? 0, into: &binds) { row, binds in try row.bind(&binds) }
            try await db.run(PostgresQuery(unsafeSQL: "INSERT INTO \(target) VALUES \(values)", binds: binds), logger: logger)
        }
    }

    /// Binds each item's `width` values and returns their rows of placeholders: `($1, $2), ($3, $4)`.
    static func valuesList<Item>(
        _ items: [Item],
        width: Int,
        into binds: inout PostgresBindings,
        bind: (Item, inout PostgresBindings) throws -> Void
    ) throws -> String {
        var values: [String] = []
        for item in items {
            let first = binds.count + 1
            try bind(item, &binds)
            precondition(binds.count == first - 1 + width, "A row binds one value per column")
            values.append("(" + (first..<(first + width)).map { "$\($0)" }.joined(separator: ", ") + ")")
        }
        return values.joined(separator: ", ")
    }
}

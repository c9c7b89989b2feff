import Foundation
import Logging
import PostgresNIO
import SeekCore
import SeekTestSupport
import Testing

@testable import SeekStore

@Suite("PostgreSQL database")
struct PostgresPoolTests {
    @Test("a database URL is read as libpq reads it, and a bad one is refused with a clear error")
    func location() throws {
        let full = try PostgresPool.Location(url: "postgres://seek:s3cret@db.internal:6543/jobs?sslmode=require")
        #expect(full.host == "db.internal" && full.port == 6543 && full.username == "seek" && full.password == "s3cret")
        #expect(full.database == "jobs" && full.sslMode == "require")
        let short = try PostgresPool.Location(url: "postgresql://seek@127.0.0.1")
        #expect(short.port == 5432 && short.database == "seek" && short.password == nil && short.sslMode == "prefer")
        for bad in ["mysql://u@h/db", "postgres://h/db", "postgres://u@/db", "postgres://u@h/db?sslmode=verify-full", "not a url"] {
            #expect(throws: SeekError.self, "\(bad)") { try PostgresPool.Location(url: bad) }
        }
    }

    @Test("nodes that start together migrate one at a time: each migration is applied once", .enabled(if: TestPostgres.available))
    func migratesOnce() async throws {
        let url = try await TestPostgres.freshDatabase()
        let nodes = try (0..<3).map { _ in try PostgresPool(url: url, poolSize: 2, logger: TestPostgres.logger) }
        let (applied, again, tables) = try await TestPostgres.running(nodes[0], nodes[1], nodes[2]) {
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for node in nodes { group.addTask { try await node.migrate() } }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            let again = try await nodes[0].migrate()
            var tables: [String] = []
            let rows = try await nodes[1].client.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
                logger: TestPostgres.logger
            )
            for try await name in rows.decode(String.self) { tables.append(name) }
            return (applied, again, tables)
        }
        #expect(applied.sorted() == PostgresMigrations.all.map(\.name).sorted(), "every migration once, by one of the nodes")
        #expect(again.isEmpty)
        for table in ["api_keys", "jobs", "ledger_entries", "sessions", "webhook_deliveries", "workers", "workspaces"] {
            #expect(tables.contains(table), "\(table) in \(tables)")
        }
    }

    @Test("in a bare batch, a run finished twice and a stale run's finish record the run once", .enabled(if: TestPostgres.available))
    func bareBatchRecordsEachRunOnce() async throws {
        let fixture = try await StoreFixture(.postgres)
        let store = try #require(fixture.store as? PostgresStore)
        let workspaceID = try await fixture.workspace(credits: 10)
        for _ in 0..<2 { _ = try await store.submit(try fixture.submission(workspaceID, credits: 2)) }
        let lapsed = try #require(try await fixture.claim(1, by: "r", lease: 0.001).first)
        #expect(try await store.requeueExpiredLeases(before: Date().addingTimeInterval(1)) == 1)
        let runs = try await fixture.claim(2, by: "r", lease: 30)
        #expect(runs.count == 2 && runs.contains { $0.id == lapsed.id && $0.attempt == 2 })
        let steps = ([lapsed] + runs + runs).map { run in
            let ending = JobEnding(
                jobID: run.id,
                outcome: .completed(.object([:]), files: [], cost: .init(runCredits: 1, infraCredits: 0)),
                at: Date()
            )
            return FinishStep(claimant: "r", next: nil).waiting(for: Finishing(run, claimant: "r", ending: ending))
        }
        let recorded = try await store.write(deferringLedger: true) { db in
            try await FinishStep.recordWaiting(steps, on: db, logger: TestPostgres.logger).map(\.recorded)
        }
        #expect(recorded == [false, true, true, false, false])
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 8, reserved: 0))
    }

    @Test("ledger entries cannot be changed or deleted, as on SQLite", .enabled(if: TestPostgres.available))
    func ledgerIsImmutable() async throws {
        let database = try PostgresPool(url: try await TestPostgres.freshDatabase(), poolSize: 1, logger: TestPostgres.logger)
        let logger = TestPostgres.logger
        try await TestPostgres.running(database) {
            try await database.migrate()
            try await database.client.query("INSERT INTO workspaces (id, name, plan, created_at) VALUES ('ws_1', 'acme', 'free', 0)", logger: logger)
            try await database.client.query(
                """
                INSERT INTO ledger_entries (id, workspace_id, type, amount, balance_delta, reserved_delta, balance_after, reserved_after, created_at)
                VALUES ('le_1', 'ws_1', 'grant', 100, 100, 0, 100, 0, 0)
                """,
                logger: logger
            )
            await #expect(throws: (any Error).self) {
                try await database.client.query("UPDATE ledger_entries SET amount = 1", logger: logger)
            }
            await #expect(throws: (any Error).self) { try await database.client.query("DELETE FROM ledger_entries", logger: logger) }
            let count = try await database.client.query("SELECT count(*) FROM ledger_entries", logger: logger).decode(Int.self)
            var rows = 0
            for try await value in count { rows = value }
            #expect(rows == 1)
        }
    }

    @Test(
        "a call stuck behind a lock past the call timeout answers 503, and what it did stands once the lock goes",
        .enabled(if: TestPostgres.available)
    )
    func stuckCallAnswers503() async throws {
        let url = try await TestPostgres.freshDatabase()
        let pool = try PostgresPool(url: url, poolSize: 4, logger: TestPostgres.logger)
        let holder = try PostgresPool(url: url, poolSize: 1, logger: TestPostgres.logger)
        let logger = TestPostgres.logger
        try await TestPostgres.running(pool, holder) {
            try await pool.migrate()
            let store = PostgresStore(pool: pool)
            let workspace = try await store.createWorkspace(NewWorkspace(name: "acme", plan: .free, startingCredits: 10)).workspace
            // Another process holds the workspace's row until told to let go.
            let (locked, lockedNow) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseNow) = AsyncStream.makeStream(of: Void.self)
            let holding = Task {
                try await holder.client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    try await connection.query("SELECT id FROM workspaces WHERE id = \(workspace.id) FOR UPDATE", logger: logger)
                    lockedNow.yield()
                    for await _ in release { break }
                    try await connection.query("COMMIT", logger: logger)
                }
            }
            for await _ in locked { break }
            await #expect(throws: PostgresStore.busy) {
                _ = try await store.addCredits(workspaceID: workspace.id, type: .topup, amount: 5)
            }
            releaseNow.yield()
            try await holding.value
            // The call went on without its caller and committed: a retry would find it.
            var balance = try await store.ledgerSum(workspaceID: workspace.id).balance
            for _ in 0..<500 where balance != 15 {
                try await Task.sleep(for: .milliseconds(20))
                balance = try await store.ledgerSum(workspaceID: workspace.id).balance
            }
            #expect(balance == 15)
        }
    }
}
